"""What the walkthrough tests need: the steps a document gives one kind of user, read from
the document itself, and a browser page that fails a step on what a person would see go
wrong (a traceback, a console error, an uncaught script error).

A walkthrough is a numbered list under a heading of README.md or docs/. In a step,
`**File ▸ Publish as App…**` is a menu path, `*Save*` the name of a button, link or field
a person looks for, and inline code what they type (a command, a name, an address).
The tests take every such detail from the step, so that a step written differently is
walked differently, and fail when the list has more or fewer steps than they know how to
walk: a new step needs a new action, in the same commit as the document.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MENU_SEPARATOR = "▸"
#: Console messages a page may log without a step failing, each with the reason.
ALLOWED_CONSOLE_ERRORS: dict[str, str] = {
    r"ERR_NAME_NOT_RESOLVED \(at https://cdn\.jsdelivr\.net/npm/@fortawesome/": (
        "Voila 0.5's page template links Font Awesome from a CDN (voila/templates/lab/"
        "index.html.j2), which these machines cannot reach; Voila's own bundle has the icons"
    ),
}


@dataclass
class Step:
    number: int
    text: str
    #: Fenced code blocks inside the step, in order.
    blocks: list[str] = field(default_factory=list)

    @property
    def menus(self) -> list[list[str]]:
        """Each `**A ▸ B**` of the step as its labels, outermost first."""
        bold = re.findall(r"\*\*([^*]+)\*\*", self.text)
        return [
            [label.strip() for label in item.split(MENU_SEPARATOR)]
            for item in bold
            if MENU_SEPARATOR in item
        ]

    @property
    def names(self) -> list[str]:
        """Each `*Name*` (one asterisk) of the step: what a person looks for on a page."""
        return re.findall(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])", self.text)

    @property
    def code(self) -> list[str]:
        """Each inline `code` of the step (fenced blocks are in `blocks`)."""
        return re.findall(r"`([^`\n]+)`", self.text)

    def command(self, starting: str) -> str:
        """The step's one inline code that starts with `starting`."""
        found = [c for c in self.code if c.startswith(starting)]
        assert len(found) == 1, f"step {self.number} names {starting!r} {len(found)} times"
        return found[0]

    def menu(self, last: str) -> list[str]:
        """The step's menu path that ends with `last`."""
        found = [m for m in self.menus if m[-1] == last]
        assert found, f"step {self.number} names no menu path to {last!r}: {self.menus}"
        return found[0]


def steps(document: str, heading: str) -> list[Step]:
    """The numbered list that follows the heading `heading` (any level) in `document`
    (a path below the repository), up to the next heading."""
    lines = (ROOT / document).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if re.fullmatch(rf"#+ {re.escape(heading)}", line)]
    assert len(starts) == 1, f"{document} has {len(starts)} headings {heading!r}"
    found: list[Step] = []
    fence: list[str] | None = None
    for line in lines[starts[0] + 1 :]:
        if line.startswith("#"):
            break
        if fence is not None:
            if line.strip().startswith("```"):
                found[-1].blocks.append("\n".join(fence))
                fence = None
            else:
                fence.append(line.strip())
            continue
        item = re.match(r"(\d+)\. (.*)", line)
        if item:
            found.append(Step(int(item.group(1)), item.group(2)))
        elif found and line.startswith("   ") and line.strip().startswith("```"):
            fence = []
        elif found and line.startswith("   "):
            found[-1].text += " " + line.strip()
    assert found, f"{document} has no numbered steps under {heading!r}"
    assert [s.number for s in found] == list(range(1, len(found) + 1)), found
    return found


def walk(found: list[Step], actions: list) -> Iterator[tuple[Step, object]]:
    """Each step with the action that walks it; the document and the test must agree on
    how many steps there are."""
    assert len(found) == len(actions), (
        f"the document has {len(found)} steps, the walkthrough walks {len(actions)}: "
        "a step was added or removed, give the walkthrough its action"
    )
    return zip(found, actions, strict=True)


class Watched:
    """A browser context (its own cookies: one person) and its first page, where every
    page it opens is watched for what a person would see go wrong: console errors, uncaught
    script errors, server errors (with the address, which a console message lacks)."""

    def __init__(self, context, name: str, screenshots: Path) -> None:
        self.context = context
        self.name = name
        self.screenshots = screenshots
        self.problems: list[str] = []
        self.count = 0
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught: {error.error}"))
        context.on("response", self._response)
        self.page = context.new_page()
        #: The page in front, which a step's screenshot shows.
        self.current = self.page

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text = f"console error: {message.text} (at {message.location.get('url', '?')})"
        if not any(re.search(pattern, text) for pattern in ALLOWED_CONSOLE_ERRORS):
            self.problems.append(text)

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"HTTP {response.status} from {response.url}")

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """A step: a screenshot of the page in front (`current`: the first page unless
        a step set another it opened) when it is done, or when it failed; then no
        traceback on that page and no problem so far."""
        self.count += 1
        shot = self.screenshots / f"{self.name}-{self.count:02d}-{label}.png"
        try:
            yield
        except Exception:
            self.current.screenshot(path=str(shot.with_stem(shot.stem + "-failed")))
            raise
        page = self.current
        page.screenshot(path=str(shot))
        body = page.inner_text("body")
        assert "Traceback" not in body, f"{label}: the page shows a traceback:\n{body[-3000:]}"
        self.check(label)

    def check(self, label: str) -> None:
        assert not self.problems, f"{label}: {self.problems}"


class BrowserTerminal:
    """A JupyterLab terminal in the page: what a person types and what the shell answers
    (read from the terminal's websocket, as xterm.js draws it on a canvas)."""

    def __init__(self, page) -> None:
        self.page = page
        self.shown = ""
        page.on("websocket", self._socket)

    def _socket(self, socket) -> None:
        if "/terminals/websocket/" in socket.url:
            socket.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        kind, *content = json.loads(payload)
        if kind == "stdout":
            self.shown += content[0]

    def run(self, command: str, timeout: float = 300) -> tuple[int, str]:
        """Type `command`, then `echo` its exit status, as someone checking it would;
        the status and what the shell printed."""
        terminal = self.page.locator(".jp-Terminal:visible .xterm")
        terminal.wait_for(timeout=60_000)
        start = len(self.shown)
        terminal.click()
        self.page.keyboard.type(command)
        self.page.keyboard.press("Enter")
        self.page.keyboard.type('echo "exit status: $?"')
        self.page.keyboard.press("Enter")
        deadline = time.monotonic() + timeout
        pattern = re.compile(r"exit status: (\d+)")  # the typed line shows `$?`, not digits
        while not pattern.search(self.shown[start:]):
            assert time.monotonic() < deadline, f"{command!r} did not end: {self.shown[start:]}"
            self.page.wait_for_timeout(250)  # lets Playwright deliver the socket's frames
        shown = self.shown[start:]
        return int(pattern.search(shown).group(1)), shown

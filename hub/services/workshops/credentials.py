"""Credentials from a trainer's CSV of names and e-mails: one attendee account a row.

No web framework and no database here: `parse_people` turns the uploaded bytes into
`Person`s, or raises `InvalidPeople` naming the line and the problem, so that a bad file
creates nothing. `new_password` makes the one-time passwords printed on the cards; only
their bcrypt hashes are kept (`hash_password`), as hub/auth.py keeps passwords.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import bcrypt

from .errors import InvalidEvent
from .model import MAX_DISPLAY_NAME, new_code, normal_code

#: Columns the file must have (in its first line, any case, in any order; others ignored).
COLUMNS = ("name", "email")
#: Letters of a one-time password (CODE_ALPHABET, 5 bits each: 80 bits).
PASSWORD_LENGTH = 16
#: An address with one @ and a dot in its domain; the hub sends no mail, so no more.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254
#: 80 random bits need no key stretching: a cheap bcrypt cost keeps 500 rows quick.
BCRYPT_ROUNDS = 6


class InvalidPeople(InvalidEvent):
    """A CSV the service refuses: its reply names the line (1 is the header)."""

    def __init__(self, message: str, line: int, field: str = "people") -> None:
        super().__init__(f"line {line}: {message}", field)
        self.line = line

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "line": self.line}


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    line: int


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InvalidPeople("the file is not UTF-8 text (save it as CSV UTF-8)", line) from e


def parse_people(data: bytes, free_seats: int, known_emails: frozenset[str] = frozenset()):
    """The people of a CSV file (header `name,email`), each with its line; refused whole
    (`InvalidPeople`) for a missing column, an empty name, a bad or repeated e-mail
    (also one `known_emails` has: the event's earlier uploads), more rows than
    `free_seats`, or bytes that are not UTF-8."""
    rows = csv.reader(io.StringIO(_decoded(data), newline=""))
    try:
        header = [column.strip().lower().replace("-", "") for column in next(rows)]
    except StopIteration:
        raise InvalidPeople("the file is empty: its first line names the columns", 1) from None
    except csv.Error as e:
        raise InvalidPeople(f"not CSV: {e}", 1) from e
    for column in COLUMNS:
        if column not in header:
            raise InvalidPeople(f"no column {column!r} (the first line names the columns)", 1)
    at = {column: header.index(column) for column in COLUMNS}
    people: list[Person] = []
    seen = {email.lower(): 0 for email in known_emails}
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, as spreadsheets leave at the end
            cells = [*row, *[""] * len(header)]
            name = " ".join(cells[at["name"]].split())
            email = cells[at["email"]].strip()
            if not 1 <= len(name) <= MAX_DISPLAY_NAME:
                raise InvalidPeople(f"the name must be 1 to {MAX_DISPLAY_NAME} characters", line)
            if len(email) > MAX_EMAIL or not EMAIL.match(email):
                raise InvalidPeople(f"{email!r} is not an e-mail address", line, "email")
            earlier = seen.get(email.lower())
            if earlier is not None:
                where = f"line {earlier}" if earlier else "an earlier upload"
                raise InvalidPeople(f"{email} is on {where} too", line, "email")
            seen[email.lower()] = line
            if len(people) == free_seats:
                raise InvalidPeople(f"more people than the {free_seats} free seats", line)
            people.append(Person(name, email, line))
    except csv.Error as e:
        raise InvalidPeople(f"not CSV: {e}", rows.line_num) from e
    if not people:
        raise InvalidPeople("no people: the file has only its first line", 1)
    return people


def new_password() -> str:
    """A one-time password, as printed: groups of four letters (typed in any case, with
    or without the dashes: `normal_code`)."""
    code = new_code(PASSWORD_LENGTH)
    return "-".join(code[i : i + 4] for i in range(0, PASSWORD_LENGTH, 4))


def hash_password(password: str) -> bytes:
    return bcrypt.hashpw(normal_code(password).encode(), bcrypt.gensalt(BCRYPT_ROUNDS))


def people_csv(cards: list[dict[str, str]]) -> str:
    """The credentials as CSV, to download (same columns as the cards)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, ["name", "email", "username", "password", "login_url"])
    writer.writeheader()
    for card in cards:
        writer.writerow({k: card[k] for k in writer.fieldnames})
    return out.getvalue()

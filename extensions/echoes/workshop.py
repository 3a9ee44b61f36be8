"""`echoes workshop`: create, list and revoke workshop events (the workshops service).

    echoes workshop create --title T --start ISO --end ISO --seats N
                           [--cpu C] [--memory 2G] [--materials FOLDER|GIT_URL] [--keep-work]
    echoes workshop list
    echoes workshop revoke EVENT_ID

Prints each event's join link and code: attendees open the link and type the code.
Authenticates with a hub token: --token, $ECHOES_TOKEN or, inside a user server, its own
(echoes.hub finds the hub and the workshops service there). Trainers (the hub group
`trainers`) and administrators create events.
"""

from __future__ import annotations

import argparse
import sys

import httpx

from .hub import (
    Hub,
    ServiceUnavailable,
    add_hub_options,
    check_hub_options,
    hub_of,
    message_of,
    send,
)
from .localhost import resolve_localhost_names


class WorkshopError(Exception):
    pass


def request(http: httpx.Client, method: str, url: str, body: dict | None = None) -> dict:
    reply = send(http, method, url, json=body)
    if reply.is_error:
        raise WorkshopError(f"{method} {url}: {reply.status_code} {message_of(reply)}")
    return reply.json() if reply.content else {}


def describe(event: dict) -> str:
    return (
        f"{event['id']}  {event['title']}  {event['start']} to {event['end']}  "
        f"seats {event['taken']}/{event['seats']}  {event['state']}\n"
        f"    join: {event['join_url']}  code: {event['code']}"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    here = Hub.from_environ()
    parser = argparse.ArgumentParser(
        prog="echoes workshop",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_hub_options(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an event")
    create.add_argument("--title", required=True)
    create.add_argument("--start", required=True, help="ISO 8601, UTC without a zone")
    create.add_argument("--end", required=True, help="ISO 8601, UTC without a zone")
    create.add_argument("--seats", type=int, required=True)
    create.add_argument("--cpu", type=float, help="CPUs per attendee (default 1)")
    create.add_argument("--memory", help="memory per attendee, e.g. 2G (default 1G)")
    create.add_argument("--materials", help="a folder in your home, or an https git URL")
    create.add_argument(
        "--keep-work", action="store_true", help="attendees keep their work after the end"
    )
    commands.add_parser("list", help="your events (administrators: all)")
    revoke = commands.add_parser("revoke", help="close an event's code and end its sessions")
    revoke.add_argument("event", help="the event's id")
    args = parser.parse_args(argv)
    check_hub_options(parser, args, here.services.get("workshops", ""))
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    resolve_localhost_names()
    hub = hub_of(args)
    with hub.client() as http:
        try:
            events = hub.service_url("workshops") + "api/events"
            if args.command == "create":
                given = {
                    "title": args.title,
                    "start": args.start,
                    "end": args.end,
                    "seats": args.seats,
                    "cpu": args.cpu,
                    "memory": args.memory,
                    "materials": args.materials,
                    "keep_work": args.keep_work,
                }
                body = {k: v for k, v in given.items() if v is not None}
                print(describe(request(http, "POST", events, body)))
            elif args.command == "list":
                for event in request(http, "GET", events)["events"]:
                    print(describe(event))
            else:
                print(describe(request(http, "DELETE", f"{events}/{args.event}")))
        except (WorkshopError, ServiceUnavailable) as e:
            sys.exit(f"echoes workshop: {e}")

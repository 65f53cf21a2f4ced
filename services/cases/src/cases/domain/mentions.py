"""Mentions of agents in notes (B8): `@email` or `@name` (a name's spaces may be left out or dotted)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# an address, or a word of letters, digits, dots, dashes and underscores; not inside an address
_MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[^\W\d][\w.-]*)")


@dataclass(frozen=True)
class AgentName:
    id: int
    email: str
    name: str


def tokens(text: str) -> list[str]:
    """The `@...` tokens of a text, lower-cased, in order, without trailing punctuation."""
    return [m.group(1).rstrip(".-").lower() for m in _MENTION.finditer(text)]


def mentioned(text: str, agents: list[AgentName]) -> list[int]:
    """Ids of the agents a text mentions, each once, in the order first mentioned."""
    found: list[int] = []
    for token in tokens(text):
        for agent in agents:
            if token in _handles(agent) and agent.id not in found:
                found.append(agent.id)
    return found


def _handles(agent: AgentName) -> set[str]:
    name = agent.name.strip().lower()
    handles = {agent.email.lower(), agent.email.lower().split("@", 1)[0]}
    if name:
        handles |= {name.replace(" ", ""), name.replace(" ", "."), name.replace(" ", "_")}
    return handles

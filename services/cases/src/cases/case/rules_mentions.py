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


def excerpt(text: str, agent: AgentName, limit: int = 160) -> str:
    """The part of a note around where it first names the agent, on one line, at most `limit` characters.

    Goes in the `agent_mentioned` event, so the alert can say what the agent is wanted for (decision 0106).
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    at = 0
    for m in _MENTION.finditer(flat):
        if m.group(1).rstrip(".-").lower() in _handles(agent):
            at = m.start()
            break
    # a little before the mention for context, the rest after it; "…" where text was cut
    start = min(max(0, at - limit // 4), len(flat) - limit)
    head = "…" if start > 0 else ""
    tail = "…" if start + limit < len(flat) else ""
    return f"{head}{flat[start + len(head) : start + limit - len(tail)]}{tail}"

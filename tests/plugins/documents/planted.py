"""The planted-fact set: one fact among 200 passages, and 20 ways people ask for it.

Shared by the retrieval test and benchmarks/documents.py. The other passages are office
notes like the fact's, and some share its words ("key results", "Bergen team", "meeting
room", "kitchen cabinet"), so a phrasing is found by what it means together, not by one
rare word. About half the phrasings share a distinctive word with the fact; the others
say it in other words.
"""

from __future__ import annotations

import random
from pathlib import Path

FACT = (
    "The spare key to the Bergen archive room is kept in locker 4471, behind the blue filing "
    "cabinet on the second floor."
)

PHRASINGS = [
    "Which locker has the spare key?",
    "locker 4471",
    "Where is the spare key for the archive room kept?",
    "What is behind the blue filing cabinet?",
    "Bergen archive key",
    "Where do we keep the spare key to the archive?",
    "What number is the locker with the archive key?",
    "Is the key to the archive room in a locker?",
    "Where can I find the spare key?",
    "spare key location",
    "Where is the extra key for the records room in Bergen?",
    "I lost my key to the archive, where is the backup one?",
    "Where is the duplicate key stored?",
    "Which cabinet hides the locker?",
    "Where should I look for a backup key to the storage room?",
    "How do I get into the archive room if I forgot my key?",
    "What is kept in locker 4471?",
    "Where are keys stored in the Bergen office?",
    "Which floor is the filing cabinet with the locker on?",
    "Tell me about the archive room's spare key.",
]

_TEAMS = ["Bergen", "Oslo", "Leeds", "Lyon", "Porto", "Graz", "Turku", "Aarhus", "Gdansk", "Bilbao"]
_TOPICS = [
    "the quarterly budget", "the key results for spring", "the new hiring plan", "the supplier contracts",
    "the website redesign", "the customer survey", "the security audit", "the travel policy",
    "the summer party", "the onboarding guide", "the data retention rules", "the printer fleet",
]  # fmt: skip
_TEMPLATES = [
    "The {team} team meets every {day} in meeting room {number} to discuss {topic}.",
    "Minutes: {person} presented {topic}; the {team} office will send comments by {day}.",
    "Reminder: {topic} is due on {day}. Ask {person} in the {team} office for the template.",
    "{person} moved the coffee machine next to the kitchen cabinet on floor {floor}.",
    "The {team} parking garage closes at {hour} on {day}; badges are renewed by {person}.",
    "Invoice {number} for {topic} was approved by {person} and paid on {day}.",
    "{person} booked room {number} on floor {floor} for a workshop about {topic}.",
    "The {team} office's wifi password changes every {day}; {person} sends it out at {hour}.",
]
_PEOPLE = ["Alice", "Bjorn", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ines", "Jonas"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def distractors(count: int = 199, seed: int = 24) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        text = rng.choice(_TEMPLATES).format(
            team=rng.choice(_TEAMS), day=rng.choice(_DAYS), topic=rng.choice(_TOPICS),
            person=rng.choice(_PEOPLE), number=rng.randint(100, 9999), floor=rng.randint(1, 6),
            hour=f"{rng.randint(5, 11)} pm",
        )  # fmt: skip
        if text not in found:
            found.append(text)
    return found


def write_planted_folder(folder: Path) -> Path:
    """200 one-passage notes; the fact is note 137. Returns the fact's file."""
    folder.mkdir(parents=True, exist_ok=True)
    passages = distractors()
    passages.insert(137, FACT)
    for number, text in enumerate(passages):
        (folder / f"note{number:03}.txt").write_text(text + "\n")
    return folder / "note137.txt"

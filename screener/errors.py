"""Input errors that name the file, the field and the problem."""

from __future__ import annotations


class InputError(ValueError):
    """A file (or part of one) that cannot be used as given.

    `source` names the file (or "file#item" for one study of a page),
    `field` the dotted path of the offending field ("" for the whole file).
    """

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}: " if field else f"{source}: "
        super().__init__(where + message)


def pydantic_field(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a dotted path: conditions[2].status."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text

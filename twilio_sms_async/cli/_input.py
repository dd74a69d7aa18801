"""Reading a bulk job's recipients: CSV or JSON Lines, streamed row by row."""

from __future__ import annotations

import csv
import json
import string
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .._errors import ValidationError

__all__ = ["BulkInput", "count_rows"]


class BulkInput:
    """Rows of ``path`` as :meth:`Messages.send`'s keyword mappings, read lazily.

    Columns ``to``, ``body``, ``from`` and ``media_url`` (space-separated URLs)
    map to the same-named arguments. With ``template`` the body is rendered
    from the row's columns (``"Hi {name}"``); a template naming a column the
    file lacks is refused before anything is sent.
    """

    def __init__(self, path: Path, *, template: str | None = None, fmt: str | None = None) -> None:
        self.path = path
        self.format = fmt or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")
        self.template = template
        self.fields = _template_fields(template) if template else set()
        if not path.is_file():
            raise ValidationError("file", f"{path} does not exist")
        if self.format == "csv":
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle), [])
            columns = {c.strip().lower() for c in header}
            if "to" not in columns:
                raise ValidationError("file", f"{path} has no 'to' column (columns: {', '.join(sorted(columns))})")
            if template is None and not columns & {"body", "media_url"}:
                raise ValidationError("body", f"{path} has no 'body' or 'media_url' column; pass --body 'template'")
            missing = self.fields - columns
            if missing:
                raise ValidationError("body", f"the template uses {sorted(missing)}, which {path} has no column for")

    def __iter__(self) -> Iterator[dict[str, Any] | ValidationError]:
        if self.format == "csv":
            with self.path.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    yield self._request({(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
        else:
            with self.path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except ValueError:
                        row = None
                    if not isinstance(row, dict):
                        # One bad line fails alone, as a failed result, not the whole job.
                        yield ValidationError("file", f"line {number} is not a JSON object")
                        continue
                    yield self._request({str(k).lower(): v for k, v in row.items()})

    def _request(self, row: Mapping[str, Any]) -> dict[str, Any] | ValidationError:
        request: dict[str, Any] = {"to": row.get("to", "")}
        body = row.get("body")
        if self.template is not None:
            try:
                body = self.template.format_map(row)
            except (KeyError, IndexError, ValueError) as exc:
                return ValidationError("body", f"the template could not be filled from this row: {exc!r}")
        if body:
            request["body"] = body
        if row.get("from"):
            request["from_"] = row["from"]
        media = row.get("media_url")
        if media:
            request["media_url"] = media.split() if isinstance(media, str) else list(media)
        return request


def _template_fields(template: str) -> set[str]:
    try:
        return {name.lower() for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise ValidationError("body", f"invalid template: {exc}") from None


def count_rows(path: Path, fmt: str, *, on_line: Callable[[bytes], object] | None = None) -> int:
    """How many messages the file holds (one streaming pass; for the progress bar's ETA).

    ``on_line`` sees every line, so a digest of the file costs no second pass.
    """
    with path.open("rb") as handle:
        if on_line is None:
            lines = sum(1 for line in handle if line.strip())
        else:
            lines = 0
            for line in handle:
                on_line(line)
                lines += bool(line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines

"""Where settings come from: the YAML file (with line numbers for errors), `RCETL_*` environment
variables, command line overrides; and how a validation error names the key and its origin."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from etl.errors import ConfigError

ENV_PREFIX = "RCETL_"
ENV_SEPARATOR = "__"


def read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}, line 1: the config must be a mapping of sections")
    return data, root


def env_overrides(
    environ: Mapping[str, str], sections: tuple[str, ...]
) -> list[tuple[str, tuple[str, ...], object]]:
    """`RCETL_SYNC__PAGE_SIZE=200` → ("sync", "page_size"). Variables whose first part is not a
    settings section (e.g. RCETL_TOKEN, which holds a secret) are not settings and are skipped."""
    found = []
    for var in sorted(environ):
        if not var.startswith(ENV_PREFIX):
            continue
        key_path = tuple(part.lower() for part in var[len(ENV_PREFIX) :].split(ENV_SEPARATOR))
        if len(key_path) >= 2 and key_path[0] in sections and all(key_path):
            found.append((var, key_path, yaml_scalar(environ[var])))
    return found


def yaml_scalar(value: object) -> object:
    """Read a string the way YAML would ("200" → 200, "[rooms, users]" → list, "off" stays text)."""
    if not isinstance(value, str):
        return value
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return value if parsed is None and value.strip() else parsed


def assign(data: dict[str, Any], key_path: tuple[str, ...], value: object, origin: str) -> None:
    if not key_path:
        raise ConfigError(f"{origin}: empty key")
    node = data
    for depth, key in enumerate(key_path[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            where = ".".join(key_path[: depth + 1])
            raise ConfigError(f"{origin}: {where} is not a section")
        node = child
    node[key_path[-1]] = value


def describe_errors(
    exc: ValidationError,
    path: Path | None,
    root: yaml.Node | None,
    sources: dict[tuple[str, ...], str],
) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        key = ".".join(loc) or "(top level)"
        lines.append(f"{_origin(loc, path, root, sources)}: {key}: {_reason(error)}")
    if len(lines) == 1:
        return f"invalid configuration: {lines[0]}"
    return f"{len(lines)} configuration errors:\n  " + "\n  ".join(lines)


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in {"missing", "value_error"} and "input" in error:
        return f"{message} (got {error['input']!r})"
    return message


def _origin(
    loc: tuple[str, ...],
    path: Path | None,
    root: yaml.Node | None,
    sources: dict[tuple[str, ...], str],
) -> str:
    for length in range(len(loc), 0, -1):
        if loc[:length] in sources:
            return sources[loc[:length]]
    if path is None:
        return "defaults"
    line = _line_of(root, loc)
    return f"{path}, line {line}" if line else str(path)


def _line_of(root: yaml.Node | None, loc: tuple[str, ...]) -> int | None:
    """Line (1-based) of the deepest YAML node along `loc`; keys point at the key's line."""
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    if line is None and root is not None:
        return root.start_mark.line + 1
    return line

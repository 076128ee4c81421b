"""YAML the agent does not control: playbooks given by path, the audited system's netplan files.

The document is composed here from the parser's events (libyaml's when available), so limits hold
before anything is built: aliases and anchors are refused (a billion-laughs file never expands), and
nesting deeper than limits.NESTING or more than limits.YAML_NODES nodes stop the composition. Values
are then built by PyYAML's safe constructor. Errors carry the line and what was wrong, never the file's
text (a foreign file may hold secrets).

Shipped data (check metadata, data/*.yaml) is trusted and uses anchors: it goes through
resources.load_yaml, not this module.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from secaudit import limits

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = yaml.resolver.Resolver()


def _resolve(kind: type[Node], value: str | None, implicit: Any) -> str:
    """The implicit tag of an untagged node (int, bool, timestamp ... by YAML 1.1 rules)."""
    tag: str = _resolver.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
    return tag


class YamlRefused(Exception):
    """The document is not accepted. `line` is 1-based (0 when unknown); `vi`/`en` say what was wrong
    without quoting the document."""

    def __init__(self, line: int, vi: str, en: str) -> None:
        super().__init__(f"line {line}: {en}")
        self.line = line
        self.vi = vi
        self.en = en


def _line(mark: Any) -> int:
    return int(mark.line) + 1 if mark is not None else 0


def _clean(problem: str | None) -> str:
    """A parser's problem text with anything quoted from the document removed ("found character '\\t'
    that cannot start any token" -> "found character … that cannot start any token")."""
    def keep_syntax(m: re.Match[str]) -> str:  # "expected ',' or ']'" names syntax, not content
        return m.group(0) if re.fullmatch(r"'[^\w\s]{1,3}'|'<[a-z ]+>'", m.group(0)) else "…"

    text = re.sub(r"[^\x20-\x7e]", "", problem or "")
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", keep_syntax, text).strip()
    return text[:120] or "syntax error"


def compose(text: str | bytes, max_nodes: int = limits.YAML_NODES, max_depth: int = limits.NESTING) -> Node | None:
    """The single document's node tree (None for an empty document), within the limits."""
    parser = _Parser(text)
    root: Node | None = None
    stack: list[tuple[Node, list[Node | None]]] = []  # open collections, with a pending mapping key
    count = 0
    documents = 0
    try:
        while parser.check_event():
            event: Any = parser.get_event()  # libyaml's events and marks are untyped
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlRefused(_line(event.start_mark), "tệp có nhiều hơn một tài liệu YAML",
                                      "more than one YAML document")
                continue
            if isinstance(event, ev.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise YamlRefused(_line(event.start_mark), "không chấp nhận bí danh và neo YAML (&, *)",
                                  "YAML aliases and anchors (&, *) are not accepted")
            if isinstance(event, ev.SequenceEndEvent | ev.MappingEndEvent):
                stack.pop()[0].end_mark = event.end_mark
                continue
            node: Node
            start: Any = event.start_mark  # libyaml's Mark type, untyped in the stubs
            if isinstance(event, ev.ScalarEvent):
                tag = event.tag if event.tag not in (None, "!") else _resolve(ScalarNode, event.value, event.implicit)
                end: Any = event.end_mark
                node = ScalarNode(tag, event.value, start, end, style=event.style)
            elif isinstance(event, ev.SequenceStartEvent | ev.MappingStartEvent):
                cls = SequenceNode if isinstance(event, ev.SequenceStartEvent) else MappingNode
                tag = event.tag if event.tag not in (None, "!") else _resolve(cls, None, event.implicit)
                node = cls(tag, [], start, None, flow_style=event.flow_style)
            else:  # stream start/end, document end
                continue
            count += 1
            if count > max_nodes:
                raise YamlRefused(_line(event.start_mark), f"quá nhiều nút (hơn {max_nodes})",
                                  f"too many nodes (more than {max_nodes})")
            if not stack:
                root = node
            else:
                parent, pending = stack[-1]
                if isinstance(parent, SequenceNode):
                    parent.value.append(node)
                elif pending[0] is None:
                    pending[0] = node
                else:
                    parent.value.append((pending[0], node))
                    pending[0] = None
            if isinstance(node, SequenceNode | MappingNode):
                if len(stack) >= max_depth:
                    raise YamlRefused(_line(event.start_mark), f"lồng nhau quá sâu (hơn {max_depth} cấp)",
                                      f"nested too deeply (more than {max_depth} levels)")
                stack.append((node, [None]))
    except yaml.MarkedYAMLError as exc:
        problem = _clean(exc.problem)
        raise YamlRefused(_line(exc.problem_mark), f"YAML không hợp lệ ({problem})",
                          f"invalid YAML ({problem})") from None
    except yaml.reader.ReaderError as exc:  # a control character or bad encoding, at a character offset
        line = (text[: exc.position].count("\n") if isinstance(text, str) else text[: exc.position].count(b"\n")) + 1
        raise YamlRefused(line, "có ký tự không được phép trong YAML", "a character YAML does not allow") from None
    except yaml.YAMLError:
        raise YamlRefused(0, "YAML không hợp lệ", "invalid YAML") from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    return root


class Constructor:
    """Builds Python values from composed nodes with PyYAML's safe constructor (no arbitrary tags)."""

    def __init__(self) -> None:
        self._loader = yaml.SafeLoader("")

    def value(self, node: Node) -> Any:
        try:
            data = self._loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            problem = _clean(exc.problem)
            mark = exc.problem_mark or exc.context_mark or node.start_mark
            raise YamlRefused(_line(mark), f"giá trị không hợp lệ ({problem})", f"invalid value ({problem})") from None
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible date
            problem = _clean(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            raise YamlRefused(_line(node.start_mark), f"giá trị không hợp lệ ({problem})",
                              f"invalid value ({problem})") from None
        return data


def load(text: str | bytes, max_nodes: int = limits.YAML_NODES, max_depth: int = limits.NESTING) -> Any:
    """The document's value (None when empty), or YamlRefused."""
    node = compose(text, max_nodes, max_depth)
    return None if node is None else Constructor().value(node)

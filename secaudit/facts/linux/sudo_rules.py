"""sudoers rules as rows of the sudo_rules table: aliases expanded, one row per principal, host block and run
of commands sharing run-as user and tags, with whether the host list selects this host and whether a
password is asked (tags, then `authenticate` Defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.facts.linux.sudoers import ALIAS_NAME, CmndSpec, Item, Sudoers


@dataclass
class Expanded:
    negated: bool
    value: str
    alias: str | None = None  # outermost alias it came from


def expand(items: list[Item], aliases: dict[str, list[Item]], _seen: frozenset[str] = frozenset(),
           _via: str | None = None) -> list[Expanded]:
    """Replace alias names by their members; a negated alias flips its members' signs."""
    out: list[Expanded] = []
    for item in items:
        if item.value in aliases and ALIAS_NAME.match(item.value) and item.value not in _seen:
            for sub in expand(aliases[item.value], aliases, _seen | {item.value}, _via or item.value):
                out.append(Expanded(sub.negated != item.negated, sub.value, sub.alias))
        else:
            out.append(Expanded(item.negated, item.value, _via))
    return out


def principal_kind(value: str) -> str:
    if value == "ALL":
        return "all"
    if value.startswith("%:"):
        return "nonunix_group"
    if value.startswith("%#"):
        return "gid"
    if value.startswith("%"):
        return "group"
    if value.startswith("#"):
        return "uid"
    if value.startswith("+"):
        return "netgroup"
    return "user"


def host_matches(hosts: list[Expanded], hostname: str) -> bool | None:
    """Whether a host list selects this host: last match wins; None when it cannot be told
    (an address, netgroup or wildcard before any definite match, or no known host name)."""
    names = {hostname.lower(), hostname.split(".")[0].lower()} if hostname else set()
    for item in reversed(hosts):
        value = item.value.lower()
        if value == "all":
            return not item.negated
        if not names or value.startswith("+") or any(ch in value for ch in "*?[/:") or value[:1].isdigit():
            return None
        if value in names:
            return not item.negated
    return False


def _runas_text(users: list[Expanded] | None, groups: list[Expanded] | None) -> str:
    def join(items: list[Expanded]) -> str:
        return ",".join(("!" if i.negated else "") + i.value for i in items)

    if users is None and groups is None:
        return "root"
    if not users and not groups:
        return ""  # "()": the invoking user
    text = join(users or [])
    return text + (":" + join(groups) if groups is not None else "")


def _defaults_nopasswd(parsed: Sudoers, principal: str, commands: list[str], hostname: str
                       ) -> tuple[bool | None, str | None]:
    """The `authenticate` Defaults that apply (global, host, user, command), last one wins."""
    state: bool | None = None
    where: str | None = None
    order = {"": 0, "@": 1, ":": 2, ">": 3, "!": 4}
    for entry in sorted(parsed.defaults, key=lambda e: order.get(e.binding, 5)):
        if entry.name != "authenticate":
            continue
        if entry.binding == "@":
            if host_matches(expand(entry.targets, parsed.aliases["Host"]), hostname) is False:
                continue
        elif entry.binding == ":":
            targets = expand(entry.targets, parsed.aliases["User"])
            if not any(t.value in (principal, "ALL") and not t.negated for t in targets):
                continue
        elif entry.binding == "!":
            targets = expand(entry.targets, parsed.aliases["Cmnd"])
            if not any(t.value in commands or t.value == "ALL" for t in targets if not t.negated):
                continue
        elif entry.binding == ">":
            continue  # depends on the target user chosen at run time
        state = not entry.negated
        where = entry.source
    return state, where


def rules(parsed: Sudoers, hostname: str = "") -> list[dict[str, object]]:
    """One row per principal x host block x run of commands sharing run-as user and tags."""
    rows: list[dict[str, object]] = []
    for spec in parsed.specs:
        users = expand(spec.users, parsed.aliases["User"])
        for block in spec.blocks:
            hosts = expand(block.hosts, parsed.aliases["Host"])
            groups: list[tuple[tuple[str, str, tuple[tuple[str, str], ...]], list[CmndSpec]]] = []
            for cs in block.specs:
                ru = expand(cs.runas_users, parsed.aliases["Runas"]) if cs.runas_users is not None else None
                rg = expand(cs.runas_groups, parsed.aliases["Runas"]) if cs.runas_groups is not None else None
                key = (_runas_text(ru, rg), ",".join(sorted(cs.tags.values())), tuple(sorted(cs.options.items())))
                if groups and groups[-1][0] == key:
                    groups[-1][1].append(cs)
                else:
                    groups.append((key, [cs]))
            for (runas, _tags, _opts), members in groups:
                first = members[0]
                commands: list[str] = []
                for cs in members:
                    for c in expand([cs.command], parsed.aliases["Cmnd"]):
                        commands.append(("!" if c.negated else "") + c.value)
                ru = expand(first.runas_users, parsed.aliases["Runas"]) if first.runas_users is not None else None
                rg = expand(first.runas_groups, parsed.aliases["Runas"]) if first.runas_groups is not None else None
                tag_values = sorted(first.tags.values())
                for index, user in enumerate(users):
                    if user.negated:
                        continue
                    excluded = [u.value for u in users[index + 1:] if u.negated]
                    if user.value in excluded:
                        continue  # "gv2, !gv2": the later negation wins
                    nopasswd: bool
                    nopasswd_source = None
                    if "PASSWD" in first.tags:
                        nopasswd = first.tags["PASSWD"] == "NOPASSWD"
                    else:
                        auth, where = _defaults_nopasswd(parsed, user.value, commands, hostname)
                        nopasswd = auth is False
                        nopasswd_source = where if nopasswd else None
                    row: dict[str, object] = {
                        "principal": user.value,
                        "principal_kind": principal_kind(user.value),
                        "hosts": [("!" if h.negated else "") + h.value for h in hosts],
                        "host_match": host_matches(hosts, hostname),
                        "runas": runas,
                        "runas_users": [("!" if r.negated else "") + r.value for r in ru] if ru is not None
                        else ([] if rg is not None else ["root"]),
                        "runas_groups": [("!" if r.negated else "") + r.value for r in rg] if rg is not None else [],
                        "commands": commands,
                        "all_commands": "ALL" in commands,
                        "nopasswd": nopasswd,
                        "tags": tag_values,
                        "source": spec.source,
                    }
                    if excluded:
                        row["except"] = excluded
                    if user.alias:
                        row["via_alias"] = user.alias
                    if first.options:
                        row["options"] = dict(first.options)
                    if nopasswd_source:
                        row["nopasswd_source"] = nopasswd_source
                    if not nopasswd and "PASSWD" not in first.tags:
                        # "Defaults:bob !authenticate" (or bound to a host, command or run-as user): whether
                        # this rule asks a password then depends on who runs it, not on the rule alone
                        others = [e.source for e in parsed.defaults if e.name == "authenticate" and e.negated
                                  and e.binding]
                        if others:
                            row["authenticate_off_elsewhere"] = others
                    rows.append(row)
    return rows

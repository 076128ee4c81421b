"""syslog-ng's configuration as syslog-ng reads it: includes (file, directory, glob, relative to include-path),
comments and strings, @define and backticks, which destinations a log path uses, the network driver forms and
their defaults, and a broken configuration that still gives facts."""

from __future__ import annotations

from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.syslog_ng_lexer import tokenize
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of
from tests.unit.logging_fixtures import SYSLOG_NG_CONF, WANTS, debian_syslog_ng

CONF = "/etc/syslog-ng/syslog-ng.conf"
HEAD = '@version: 4.3\n@include "scl.conf"\nsource s_src { system(); internal(); };\n'


def ng_of(make_root: Any, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    snap = facts_of(make_root(debian_syslog_ng(overrides)), only={"logging"})
    return dict(snap.table("logging")["syslog_ng"], unknown=snap.unknown)


def conf(body: str, **extra: Any) -> dict[str, Any]:
    return {"etc/syslog-ng/syslog-ng.conf": HEAD + body, **extra}


def forwards(ng: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(f["target"], f["protocol"], f["port"], f["driver"]) for f in ng["forwards"]]


def test_debian_default(make_root) -> None:
    ng = ng_of(make_root)
    assert ng["installed"] and ng["enabled"] and ng["enabled_source"].endswith("/syslog-ng.service")
    assert ng["version"] == "3.38" and ng["files"] == [CONF, "/etc/syslog-ng/scl.conf"]  # the SCL is not there
    assert ng["invalid"] == [] and ng["unreadable"] == [] and ng["other_drivers"] == []  # getvirtconsole(): a tty
    assert ng["forwards"] == []  # d_net and its log path are commented out
    paths = [o["path"] for o in ng["outputs"]]
    assert paths[:3] == ["/var/log/auth.log", "/var/log/cron.log", "/var/log/daemon.log"]
    assert "/var/log/ppp.log" not in paths and "/var/log/mail.info" not in paths  # defined, used by no log path
    assert ng["outputs"][0] == {"path": "/var/log/auth.log", "driver": "file", "destination": "d_auth",
                                "selector": "source(s_src) filter(f_auth)", "source": f"{CONF}:22", "exists": False}
    xconsole = next(o for o in ng["outputs"] if o["destination"] == "d_xconsole")
    assert xconsole["driver"] == "pipe" and xconsole["path"] == "/dev/xconsole"
    assert not any(o["destination"] == "d_console_all" for o in ng["outputs"])
    news = next(o for o in ng["outputs"] if o["path"] == "/var/log/news/news.crit")
    assert news["selector"] == "source(s_src) filter(f_news) filter(f_crit)"
    assert ng_of(make_root, {"var/log/auth.log": "x\n"})["outputs"][0]["exists"] is True


def test_not_installed_is_empty(make_root) -> None:
    snap = facts_of(make_root({"etc/os-release": "ID=debian\n"}), only={"logging"})
    ng = snap.table("logging")["syslog_ng"]
    assert ng["installed"] is False and ng["enabled"] is False and ng["files"] == [] and ng["outputs"] == []


def test_disabled_unit(make_root) -> None:
    ng = ng_of(make_root, {f"{WANTS}/syslog-ng.service": None})
    assert ng["installed"] and not ng["enabled"] and ng["enabled_source"] is None


def test_includes_file_directory_glob_and_relative(make_root) -> None:
    ng = ng_of(make_root, {
        "etc/syslog-ng/syslog-ng.conf": HEAD + '@include "local.conf"\n@include "/etc/syslog-ng/parts"\n'
                                        '@include "/etc/syslog-ng/conf.d/*.conf"\n',
        "etc/syslog-ng/local.conf": 'destination d_a { file("/var/log/a.log"); };\nlog { source(s_src); '
                                    'destination(d_a); };\n',
        "etc/syslog-ng/parts/b.conf": 'log { source(s_src); destination { file("/var/log/b.log"); }; };\n',
        "etc/syslog-ng/parts/A.conf": 'log { source(s_src); destination { file("/var/log/A.log"); }; };\n',
        "etc/syslog-ng/parts/.hidden": 'log { destination { file("/var/log/hidden.log"); }; };\n',
        "etc/syslog-ng/parts/~old": 'log { destination { file("/var/log/old.log"); }; };\n',
        "etc/syslog-ng/conf.d/10-c.conf": 'log { source(s_src); destination { file("/var/log/c.log"); }; };\n',
        "etc/syslog-ng/conf.d/10-c.conf.bak": 'log { destination { file("/var/log/bak.log"); }; };\n',
        # The SCL library: found through include-path when the configuration's directory has no scl.conf.
        "etc/syslog-ng/scl.conf": None,
        "usr/share/syslog-ng/include/scl.conf": "@include 'scl/*/*.conf'\n",
        "usr/share/syslog-ng/include/scl/system/tty10.conf": '@define tty10 "/dev/tty10"\n',
        "usr/share/syslog-ng/include/scl/getvirtconsole/plugin.conf": (
            '@module confgen context(destination) name(getvirtconsole) exec("`scl-root`/getvirtconsole/tty10.sh")\n'),
        "usr/share/syslog-ng/include/scl/loggly/loggly.conf": (
            'block destination loggly(token() host("logs-01.loggly.com") port(514)) {\n'
            '  network("`host`" port(`port`) template("<${PRI}>1 [`token`@41058 tag=\\"x\\"] {$MSG}\\n"));\n};\n')})
    assert ng["files"] == [CONF, "/usr/share/syslog-ng/include/scl.conf",
                           "/usr/share/syslog-ng/include/scl/getvirtconsole/plugin.conf",
                           "/usr/share/syslog-ng/include/scl/loggly/loggly.conf",
                           "/usr/share/syslog-ng/include/scl/system/tty10.conf", "/etc/syslog-ng/local.conf",
                           "/etc/syslog-ng/parts/A.conf", "/etc/syslog-ng/parts/b.conf",
                           "/etc/syslog-ng/conf.d/10-c.conf"]
    assert [o["path"] for o in ng["outputs"]] == ["/var/log/a.log", "/var/log/A.log", "/var/log/b.log",
                                                  "/var/log/c.log"]
    assert ng["outputs"][1]["destination"] is None and ng["outputs"][1]["source"] == "/etc/syslog-ng/parts/A.conf:1"
    assert ng["blocks"] == ["confgen getvirtconsole (/usr/share/syslog-ng/include/scl/getvirtconsole/plugin.conf:1)",
                            "destination loggly (/usr/share/syslog-ng/include/scl/loggly/loggly.conf:1)"]
    assert ng["invalid"] == [] and ng["forwards"] == []  # the block's network() is opaque, not a forward


def test_a_define_from_the_scl_reaches_the_main_file(make_root) -> None:
    # Older Debian releases wrote the console as file(`tty10`), `tty10` defined in the SCL.
    body = 'destination d_console_all { file(`tty10`); };\nlog { source(s_src); destination(d_console_all); };\n'
    ng = ng_of(make_root, conf(body, **{"usr/share/syslog-ng/include/scl/system/tty10.conf":
                                        '@define tty10 "/dev/tty10"\n'}))
    assert [(o["path"], o["exists"]) for o in ng["outputs"]] == [("/dev/tty10", False)]
    assert ng["files"][1:] == ["/etc/syslog-ng/scl.conf", "/usr/share/syslog-ng/include/scl/system/tty10.conf"]
    # Undefined: an empty name, so no file (and no error).
    assert ng_of(make_root, conf(body))["outputs"] == []


def test_comments_strings_and_defines(make_root) -> None:
    ng = ng_of(make_root, conf(
        '@define logdir "/var/log/school"\n'
        "@define central 10.0.0.7  # a bare value\n"
        'destination d_x { file("`logdir`/x#1.log" template("$HOST \\"#\\" $MSG\\n")); }; # comment\n'
        "destination d_y { file('`logdir`/y\\\\n.log'); };\n"
        "# log { source(s_src); destination(d_y); };\n"
        "destination d_n { network(`central` port(1514)); };\n"
        'destination d_h { file("/var/log/hosts/$HOST/${YEAR}.log"); };\n'
        "log { source(s_src); destination(d_x); destination(d_n); destination(d_h); };\n"
        "log { source(s_src); destination(d_y); };\n"))
    assert [o["path"] for o in ng["outputs"]] == ["/var/log/school/x#1.log", "/var/log/school/y\\\\n.log",
                                                  "/var/log/hosts/$HOST/${YEAR}.log"]
    assert ng["outputs"][2]["exists"] is None  # a template: which files, cannot tell
    assert forwards(ng) == [("10.0.0.7", "tcp", "1514", "network")]
    assert ng["invalid"] == []


def test_tokenizer_keeps_hashes_in_strings_and_counts_lines() -> None:
    tokens, bad = tokenize('a("x # y" \'z\\\' # c\n"multi\nline" b);\n@define q "v" # c\n')
    assert [(t.kind, t.value, t.line) for t in tokens] == [
        ("word", "a", 1), ("punct", "(", 1), ("str", "x # y", 1), ("str", "z\\", 1), ("str", "multi\nline", 2),
        ("word", "b", 3), ("punct", ")", 3), ("punct", ";", 3), ("pragma", '@define q "v"', 4)]
    assert bad == []


def test_unused_destinations_are_not_reported(make_root) -> None:
    ng = ng_of(make_root, conf(
        'destination d_remote { network("logs.example" transport("udp")); };\n'
        'destination d_file { file("/var/log/unused.log"); };\n'))
    assert ng["forwards"] == [] and [o["path"] for o in ng["outputs"]] == []


def test_network_forms_and_defaults(make_root) -> None:
    ng = ng_of(make_root, conf(
        'destination d_1 { network("10.0.0.1"); };\n'
        "destination d_2 { network(10.0.0.2 transport(udp) port(5514)); };\n"
        'destination d_3 { network("logs.sgd.edu.vn" transport("tls") tls(ca-dir("/etc/ssl/certs"))); };\n'
        'destination d_4 { syslog("10.0.0.4"); syslog("10.0.0.5" transport("udp")); '
        'syslog("10.0.0.6" transport(tls) tls(peer-verify(yes))); };\n'
        'destination d_5 { tcp("10.0.0.7" port(1000) log_fifo_size(1000)); udp("10.0.0.8"); };\n'
        'destination d_6 { tcp6("2001:db8::1"); udp6("2001:db8::2" destport(10514)); '
        'tcp("10.0.0.9" tls(ca_dir("/x"))); };\n'
        'destination d_7 { unix-stream("/run/collector.sock"); unix_dgram("/dev/log2"); program("/bin/cat"); };\n'
        'destination d_8 { http(url("https://siem.example/ingest")); };\n'
        "log { source(s_src); destination(d_1); destination(d_2); destination(d_3); destination(d_4); };\n"
        "log { source(s_src); filter(f_auth); destination(d_5); destination(d_6); destination(d_7); "
        "destination(d_8); };\n"))
    assert forwards(ng) == [("10.0.0.1", "tcp", "514", "network"), ("10.0.0.2", "udp", "5514", "network"),
                            ("logs.sgd.edu.vn", "tls", "514", "network"), ("10.0.0.4", "tcp", "601", "syslog"),
                            ("10.0.0.5", "udp", "514", "syslog"), ("10.0.0.6", "tls", "6514", "syslog"),
                            ("10.0.0.7", "tcp", "1000", "tcp"), ("10.0.0.8", "udp", "514", "udp"),
                            ("2001:db8::1", "tcp", "514", "tcp6"), ("2001:db8::2", "udp", "10514", "udp6"),
                            ("10.0.0.9", "tls", "514", "tcp"), ("siem.example", "tls", "", "http")]
    assert ng["forwards"][6]["selector"] == "source(s_src) filter(f_auth)"
    assert ng["forwards"][0]["source"] == f"{CONF}:4" and ng["forwards"][0]["destination"] == "d_1"
    assert ng["outputs"] == []  # sockets and programs are not log files
    assert ng["other_drivers"] == []


def test_destinations_that_send_to_a_server_named_by_an_option(make_root) -> None:
    ng = ng_of(make_root, conf(
        'destination d_ng { syslog-ng(server("10.0.0.20") port(5140)); };\n'
        'destination d_es { elasticsearch-http(url("http://es.sgd.local:9200/_bulk") index("x")); };\n'
        'destination d_k { kafka-c(bootstrap_servers("k1.sgd.local:9092,k2:9092") topic("logs")); };\n'
        'destination d_l { loki(url("[2001:db8::5]:9096")); };\n'
        'destination d_x { my-block(); };\n'
        "log { source(s_src); destination(d_ng); destination(d_es); destination(d_k); destination(d_l); "
        "destination(d_x); };\n"))
    assert forwards(ng) == [("10.0.0.20", "syslog-ng", "5140", "syslog-ng"),
                            ("es.sgd.local", "http", "9200", "elasticsearch-http"),
                            ("k1.sgd.local", "kafka-c", "9092", "kafka-c"), ("2001:db8::5", "loki", "9096", "loki")]
    assert [d["driver"] for d in ng["other_drivers"]] == ["my-block"]


def test_inline_nested_junction_and_if(make_root) -> None:
    ng = ng_of(make_root, conf(
        "log {\n  source(s_src);\n  filter { facility(auth, authpriv); };\n"
        '  destination { file("/var/log/inline-auth.log"); };\n'
        "  log { filter(f_sshd); destination { network(\"10.1.1.1\" transport(\"udp\")); }; };\n"
        "  junction {\n    channel { filter(f_a); destination { file(\"/var/log/ch-a.log\"); }; };\n"
        "    channel { destination(d_b); flags(final); };\n  };\n"
        '  if (program("sshd")) { destination { file("/var/log/ssh.log"); }; } '
        'else { destination { file("/var/log/rest.log"); }; };\n'
        "  flags(flow-control);\n};\n"
        'destination d_b { file("/var/log/ch-b.log"); };\n'
        'log { destination { file("/var/log/fallback.log"); }; flags(fallback); };\n'))
    by = {o["path"]: o for o in ng["outputs"]}
    assert list(by) == ["/var/log/inline-auth.log", "/var/log/ch-a.log", "/var/log/ssh.log", "/var/log/rest.log",
                        "/var/log/ch-b.log", "/var/log/fallback.log"]
    assert by["/var/log/inline-auth.log"]["selector"] == "source(s_src) filter { facility(auth, authpriv) }"
    assert by["/var/log/ch-a.log"]["selector"] == "source(s_src) filter { facility(auth, authpriv) } filter(f_a)"
    assert by["/var/log/ssh.log"]["selector"].endswith('if (program("sshd"))')
    assert by["/var/log/rest.log"]["selector"].endswith(" else")
    assert by["/var/log/fallback.log"]["selector"] == "flags(fallback)"
    assert forwards(ng) == [("10.1.1.1", "udp", "514", "network")]
    assert ng["forwards"][0]["selector"].endswith("filter(f_sshd)") and ng["invalid"] == []


def test_destination_used_twice_is_reported_once(make_root) -> None:
    ng = ng_of(make_root, conf('destination d_all { file("/var/log/all.log"); };\n'
                               "log { source(s_src); filter(f_a); destination(d_all); };\n"
                               "log { source(s_src); filter(f_b); destination(d_all); };\n"))
    assert ng["outputs"] == [{"path": "/var/log/all.log", "driver": "file", "destination": "d_all",
                              "selector": "source(s_src) filter(f_a) | source(s_src) filter(f_b)",
                              "source": f"{CONF}:4", "exists": False}]


def test_broken_configuration_gives_what_was_read(make_root) -> None:
    ng = ng_of(make_root, conf(
        'destination d_ok { network("10.0.0.5"); };\n'
        'destination d_broken { file("/var/log/broken.log");\n'  # never closed
        "log { source(s_src); destination(d_ok); };\n"
        "log { source(s_src); destination(d_missing); };\n"
        "destination d_ok { file(\"/var/log/dup.log\"); };\n"
        "garbage here;\n"
        'destination d_str { file("/var/log/unterminated.log); };\n'))
    assert forwards(ng) == [("10.0.0.5", "tcp", "514", "network")]
    assert ng["invalid"] == [f"{CONF}:5", f"{CONF}:7", f"{CONF}:8", f"{CONF}:9", f"{CONF}:10"]
    assert ng["outputs"] == []


def test_hostile_input_never_raises(make_root) -> None:
    for text in ("}", "{{{{", "log {", "destination", '"', "@include", "@define", "log { destination(", "((((",
                 "log { destination { file(`x`) }; };", "@include \"/etc/syslog-ng/syslog-ng.conf\"\n" * 3,
                 "block", "log { if { }; };", "destination d { file(); };\nlog { destination(d); };",
                 "log { " * 5000 + "destination { file(\"/var/log/deep\"); };" + " };" * 5000,
                 "log {" * 20000, "log { destination { file(" * 10000,  # linear: a bracket's partner found once
                 'destination d { file("x" ' + "a(" * 5000 + ")" * 5000 + "); };\nlog { destination(d); };"):
        ng = ng_of(make_root, {"etc/syslog-ng/syslog-ng.conf": text})
        assert isinstance(ng["invalid"], list)
    long = "destination d { file(\"/var/log/x\"); };\n" * 5000 + "log { destination(d); };\n" * 5000
    ng = ng_of(make_root, {"etc/syslog-ng/syslog-ng.conf": long})
    assert len(ng["outputs"]) == 1 and len(ng["invalid"]) == 4999  # duplicate definitions


def test_include_cycle_stops(make_root) -> None:
    ng = ng_of(make_root, conf('@include "loop.conf"\n',
                               **{"etc/syslog-ng/loop.conf": '@include "syslog-ng.conf"\n@include "loop.conf"\n'}))
    assert ng["files"] == [CONF, "/etc/syslog-ng/scl.conf", "/etc/syslog-ng/loop.conf"]


def test_unreadable_include_is_unknown() -> None:
    files = debian_syslog_ng({"etc/syslog-ng/conf.d/90-central.conf": 'log { destination(d_x); };\n'})
    rec = {"schema": "secaudit.recording/v1", "files": {"/" + k: v for k, v in files.items()},
           "denied": ["/etc/syslog-ng/conf.d/90-central.conf"]}
    snap = collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging"})
    ng = snap.table("logging")["syslog_ng"]
    assert ng["unreadable"] == ["/etc/syslog-ng/conf.d/90-central.conf"]
    assert snap.unknown["logging.syslog_ng_conf"]["code"] == "permission_denied"
    assert "/etc/syslog-ng/conf.d/90-central.conf" not in snap.table("logging")["sources"]
    assert CONF in snap.table("logging")["sources"]


def test_fixture_is_the_debian_layout() -> None:
    assert SYSLOG_NG_CONF.startswith('@version: 3.38\n@include "scl.conf"\n')
    assert SYSLOG_NG_CONF.rstrip().endswith('@include "/etc/syslog-ng/conf.d/*.conf"')


def test_odd_spaces_inside_words_end_the_word_and_move_on() -> None:
    """\\x1e, \\x85 or U+2028 count as space for str.isspace(): the tokenizer used to stop its word there
    without moving on and filled the memory with empty words (found by mutating a configuration)."""
    for odd in ("\x1e", "\x1c", "\x85", "\u2028", "\u3000"):
        tokens, _bad = tokenize(f'desti{odd}nation d {{ file("/var/log/x"); }};\n')
        assert [t.value for t in tokens][:3] == ["desti", "nation", "d"]
        assert len(tokens) < 20

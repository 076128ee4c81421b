"""/login and /logout through the app: the CSRF hidden field and its cookie, cookie flags (HttpOnly,
SameSite=Strict, Secure over TLS), wrong passwords, rate limiting and lockout as pages, a safe `next`,
the security headers on pages (and not on the API), the audit log of logins, views and downloads."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from secaudit.collector.web import auth
from secaudit.collector.web.models import WebAudit
from secaudit.collector.web.render import CSP
from tests.unit.collector.web.dashboard_world import PASSWORD, Dashboard, csrf_of, login


def _cookie_header(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith(name + "=")]
    assert found, headers
    return str(found[0])


def test_login_form_and_session_cookie(dashboard: Dashboard) -> None:
    client = dashboard.client()
    form = client.get("/login")
    assert 'type="hidden" name="csrf"' in form.text and 'method="post" action="/login"' in form.text
    assert "httponly" in _cookie_header(form, auth.LOGIN_COOKIE).lower()
    done = client.post("/login", data={"csrf": csrf_of(form.text), "name": "admin", "password": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/"
    cookie = _cookie_header(done, auth.COOKIE).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie and "path=/" in cookie
    assert client.get("/login").status_code == 303  # already logged in


def test_secure_cookie_over_tls(dashboard: Dashboard) -> None:
    with TestClient(dashboard.app, base_url="https://testserver", follow_redirects=False) as client:
        done = login(client, "admin", PASSWORD)
        assert done.status_code == 303 and "; secure" in _cookie_header(done, auth.COOKIE).lower()


def test_csrf_required(dashboard: Dashboard) -> None:
    client = dashboard.client()
    client.get("/login")
    refused = client.post("/login", data={"csrf": "forged" * 5, "name": "admin", "password": PASSWORD})
    assert refused.status_code == 403 and auth.COOKIE not in refused.cookies
    other = dashboard.client()  # a token from another browser's form does not match this one's cookie
    stolen = csrf_of(other.get("/login").text)
    assert client.post("/login", data={"csrf": stolen, "name": "admin", "password": PASSWORD}).status_code == 403
    logged = dashboard.login("admin")
    assert logged.post("/logout", data={}).status_code == 403
    assert logged.post("/logout", data={"csrf": "x"}).status_code == 403
    assert logged.get("/").status_code == 200  # still logged in


def test_wrong_password_rate_limit_and_lockout_pages(dashboard: Dashboard) -> None:
    client = dashboard.client()
    for _ in range(auth.RATE_LIMIT):
        bad = login(client, "officer-lk", "not the password")
        assert bad.status_code == 401 and "không đúng" in bad.text
    limited = login(client, "officer-lk", PASSWORD)
    assert limited.status_code == 429 and "phút" in limited.text
    for i in range(auth.LOCK_AFTER):  # from other addresses: the account locks
        with TestClient(dashboard.app, client=(f"10.9.0.{i}", 5000), follow_redirects=False) as other:
            login(other, "officer-lk", "not the password")
    with TestClient(dashboard.app, client=("10.9.1.1", 5000), follow_redirects=False) as fresh:
        locked = login(fresh, "officer-lk", PASSWORD)
        assert locked.status_code == 401 and "tạm khóa" in locked.text
    with dashboard.db.read() as session:
        actions = set(session.scalars(select(WebAudit.action).where(WebAudit.user_name == "officer-lk")))
    assert {"login_failed", "login_rate_limited", "login_locked"} <= actions


def test_next_is_local_only(dashboard: Dashboard) -> None:
    client = dashboard.client()
    assert client.get("/units/BH").headers["location"] == "/login?next=/units/BH"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        done = login(client, "admin", PASSWORD, next_path=evil)
        assert done.status_code == 303 and done.headers["location"] == "/"
        client.cookies.clear()
    done = login(client, "admin", PASSWORD, next_path="/units/BH?lang=en")
    assert done.headers["location"] == "/units/BH?lang=en"


def test_security_headers_on_pages_only(dashboard: Dashboard) -> None:
    client = dashboard.login("admin")
    for url in ("/login", "/", "/units/NOPE", "/static/dashboard.css"):
        response = client.get(url)
        assert response.headers["content-security-policy"] == CSP, url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY" and response.headers["referrer-policy"] == "no-referrer"
    assert "unsafe-inline" not in CSP
    assert client.get("/").headers["cache-control"] == "no-store"
    api = client.get("/api/v1/health")
    assert "content-security-policy" not in api.headers
    assert client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/..%2Fauth.py").status_code == 404


def test_pages_have_no_inline_script_or_style(dashboard: Dashboard) -> None:
    client = dashboard.login("admin")
    host = dashboard.seeded.hosts[dashboard.seeded.failing_host]
    for url in ("/login", "/", "/units/BH01", f"/hosts/{host}", "/units/NOPE"):
        text = client.get(url).text
        assert "<script" not in text and "<style" not in text and " style=" not in text and "onclick" not in text


def test_audit_log_of_views_and_downloads(dashboard: Dashboard) -> None:
    client = dashboard.login("officer-bh")
    client.get("/units/BH01?lang=en")
    report = dashboard.seeded.reports[dashboard.seeded.failing_host]
    client.get(f"/reports/{report}/envelope")
    with dashboard.db.read() as session:
        rows = {(r.action, r.target) for r in session.scalars(select(WebAudit).where(
            WebAudit.user_name == "officer-bh"))}
    assert ("login", "/login") in rows and ("view", "/units/BH01?lang=en") in rows
    assert ("download", f"/reports/{report}/envelope") in rows


def test_unknown_route_is_json_for_api_clients_and_a_page_for_browsers(dashboard: Dashboard) -> None:
    client = dashboard.client()
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"
    page = client.get("/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "<!DOCTYPE html>" in page.text

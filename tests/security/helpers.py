"""What every answer must carry, shared by the security tests."""


def is_static(path: str) -> bool:
    """Static files (ours and Bootstrap's): the only answers a browser may cache."""
    return path.startswith(("/static/", "/bootstrap/static/"))


def assert_security_headers(response, path: str = "", *, production: bool = False) -> None:
    """The headers every answer carries (page, error, redirect, API, static file); no-store unless static."""
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip())
    where = f"{response.status_code} {path}"
    assert "'unsafe-inline'" not in directives.get("script-src", "missing"), (where, policy)
    assert "'unsafe-eval'" not in directives.get("script-src", ""), (where, policy)
    assert directives.get("frame-ancestors") == "'none'", (where, policy)
    assert directives.get("object-src") == "'none'", (where, policy)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert ("Strict-Transport-Security" in headers) == production, where
    if path and not is_static(path):
        assert headers.get("Cache-Control") == "no-store", where

"""Experiments only (not committed)."""
import os
from flask import Response
def create_app():
    from ivr import create_app as c
    import ivr.voice as v
    names = os.environ.get("EXP", "").split(",")
    app = c()
    if "no-signature" in names:
        app.before_request_funcs[None] = []
    if "twiml-fixed" in names:
        from bench.bare_app import TWIML
        v.twiml = lambda response: Response(TWIML, mimetype="text/xml")
    if "no-commit" in names:
        import ivr.store as s
        orig = s.Store._save
        s.Store._save = lambda self, cursor, record, now, is_new, row_exists: None
    return app

def _pragmas(app, sqls):
    from sqlalchemy import event
    engine = app.extensions["ivr.store"].engine
    def on_connect(dbapi_connection, record):
        cur = dbapi_connection.cursor()
        for s in sqls: cur.execute(s)
        cur.close()
    event.listen(engine, "connect", on_connect)
    engine.dispose()

_orig = create_app
def create_app():
    app = _orig()
    names = os.environ.get("EXP", "").split(",")
    if "mmap" in names:
        _pragmas(app, ["PRAGMA mmap_size = 268435456"])
    if "bigcache" in names:
        _pragmas(app, ["PRAGMA cache_size = -20000"])
    return app

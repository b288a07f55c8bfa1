-- Platform foundation: jurisdictions, people, users, sessions, audit log (SQLite).
CREATE TABLE jurisdictions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province','city','county','township','village','other')),
    parent_code TEXT REFERENCES jurisdictions(code),
    path        TEXT NOT NULL,
    stat_code   TEXT NOT NULL UNIQUE,
    tz          TEXT NOT NULL DEFAULT 'Asia/Shanghai'
);
CREATE INDEX jurisdictions_parent ON jurisdictions(parent_code);
CREATE INDEX jurisdictions_path ON jurisdictions(path);
CREATE INDEX jurisdictions_name ON jurisdictions(name);

CREATE TABLE people (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    sex               TEXT NOT NULL CHECK (sex IN ('male','female','unknown')),
    birth_date        TEXT,
    id_type           TEXT NOT NULL,
    id_number         TEXT NOT NULL,
    phone             TEXT,
    address           TEXT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    UNIQUE (id_type, id_number)
);
CREATE INDEX people_jurisdiction ON people(jurisdiction_code);
CREATE INDEX people_name ON people(name);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    username          TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    role              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions(code),
    password_hash     TEXT NOT NULL,
    active            INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip         TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE audit_log (
    seq               INTEGER PRIMARY KEY,
    at                TEXT NOT NULL,
    user_id           INTEGER,
    username          TEXT NOT NULL,
    ip                TEXT,
    action            TEXT NOT NULL,
    entity            TEXT NOT NULL,
    entity_id         TEXT,
    jurisdiction_code TEXT,
    detail            TEXT NOT NULL,
    prev_hash         TEXT NOT NULL UNIQUE,
    hash              TEXT NOT NULL
);
CREATE INDEX audit_at ON audit_log(at);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
-- Append-only: the database refuses edits and deletions; the hash chain detects them if the
-- triggers are bypassed (firebreak audit verify).
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

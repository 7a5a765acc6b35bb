CREATE TABLE IF NOT EXISTS runs (
	id          TEXT PRIMARY KEY,
	env         TEXT NOT NULL,
	kind        TEXT NOT NULL,
	status      TEXT NOT NULL,
	target      TEXT NOT NULL DEFAULT '',
	commit_sha  TEXT NOT NULL DEFAULT '',
	author      TEXT NOT NULL DEFAULT '',
	host        TEXT NOT NULL DEFAULT '',
	pid         INTEGER NOT NULL DEFAULT 0,
	fingerprint TEXT NOT NULL DEFAULT '',
	binding     TEXT NOT NULL DEFAULT '',
	parent      TEXT NOT NULL DEFAULT '',
	wave        INTEGER NOT NULL DEFAULT 0,
	summary     TEXT,
	message     TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_env_created ON runs (env, created_at);

CREATE TABLE IF NOT EXISTS run_stacks (
	run_id      TEXT NOT NULL REFERENCES runs (id),
	stack       TEXT NOT NULL,
	status      TEXT NOT NULL,
	plan_sha256 TEXT NOT NULL DEFAULT '',
	binding     TEXT,
	summary     TEXT,
	message     TEXT NOT NULL DEFAULT '',
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (run_id, stack)
);

CREATE TABLE IF NOT EXISTS approvals (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id     TEXT NOT NULL REFERENCES runs (id),
	approver   TEXT NOT NULL,
	comment    TEXT NOT NULL DEFAULT '',
	binding    TEXT NOT NULL,
	created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS audit (
	seq          INTEGER PRIMARY KEY,
	at           TEXT NOT NULL,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,
	run_id       TEXT NOT NULL DEFAULT '',
	outcome      TEXT NOT NULL DEFAULT '',
	detail       TEXT,
	subject_hash TEXT NOT NULL DEFAULT '',
	prev_hash    TEXT NOT NULL,
	hash         TEXT NOT NULL
);

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

CREATE TABLE IF NOT EXISTS alert_states (
	key        TEXT PRIMARY KEY,
	kind       TEXT NOT NULL DEFAULT '',
	env        TEXT NOT NULL DEFAULT '',
	firing     INTEGER NOT NULL DEFAULT 0,
	state      TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS alert_deliveries (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	at           TEXT NOT NULL,
	key          TEXT NOT NULL,
	kind         TEXT NOT NULL DEFAULT '',
	severity     TEXT NOT NULL DEFAULT '',
	env          TEXT NOT NULL DEFAULT '',
	layer        TEXT NOT NULL DEFAULT '',
	stack        TEXT NOT NULL DEFAULT '',
	summary      TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT '',
	action       TEXT NOT NULL DEFAULT '',
	revision     INTEGER NOT NULL DEFAULT 0,
	firing_since TEXT NOT NULL DEFAULT '',
	route        TEXT NOT NULL DEFAULT '',
	receiver     TEXT NOT NULL DEFAULT '',
	integration  TEXT NOT NULL DEFAULT '',
	attempt      INTEGER NOT NULL DEFAULT 0,
	outcome      TEXT NOT NULL DEFAULT '',
	error        TEXT NOT NULL DEFAULT '',
	duration_ns  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alert_deliveries_at ON alert_deliveries (at);
CREATE INDEX IF NOT EXISTS alert_deliveries_key ON alert_deliveries (key, at);

CREATE TABLE IF NOT EXISTS drift_reports (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	env         TEXT NOT NULL,
	stack       TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	checked_at  TEXT NOT NULL,
	duration_ns INTEGER NOT NULL DEFAULT 0,
	findings    INTEGER NOT NULL DEFAULT 0,
	report      TEXT,
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS drift_reports_stack ON drift_reports (env, stack, checked_at);

CREATE TABLE IF NOT EXISTS canary_results (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	canary     TEXT NOT NULL,
	env        TEXT NOT NULL DEFAULT '',
	at         TEXT NOT NULL,
	ok         INTEGER NOT NULL,
	latency_ns INTEGER NOT NULL DEFAULT 0,
	status     INTEGER NOT NULL DEFAULT 0,
	error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS canary_results_canary ON canary_results (canary, at);
CREATE INDEX IF NOT EXISTS canary_results_at ON canary_results (at);

CREATE TABLE IF NOT EXISTS canary_states (
	canary     TEXT PRIMARY KEY,
	alerting   INTEGER NOT NULL DEFAULT 0,
	state      TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS incidents (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	kind   TEXT NOT NULL,
	env    TEXT NOT NULL DEFAULT '',
	stack  TEXT NOT NULL DEFAULT '',
	title  TEXT NOT NULL,
	detail TEXT,
	at     TEXT NOT NULL,
	source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS incidents_at ON incidents (at);

-- vigil's PostgreSQL schema, version 1: runs, their stacks, approvals, the
-- hash-chained audit log, and what vigil serve records (alert state and
-- deliveries, drift reports, canary results and state, incidents).
-- Times are timestamptz (microseconds, like the store contract); JSON is
-- kept as given (json, not jsonb, so the text and its hashes round-trip).

CREATE TABLE runs (
	id          text PRIMARY KEY,
	env         text NOT NULL,
	kind        text NOT NULL,
	status      text NOT NULL,
	target      text NOT NULL DEFAULT '',
	commit_sha  text NOT NULL DEFAULT '',
	author      text NOT NULL DEFAULT '',
	host        text NOT NULL DEFAULT '',
	pid         integer NOT NULL DEFAULT 0,
	fingerprint text NOT NULL DEFAULT '',
	binding     text NOT NULL DEFAULT '',
	parent      text NOT NULL DEFAULT '',
	wave        integer NOT NULL DEFAULT 0,
	summary     json,
	message     text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX runs_env_created ON runs (env, created_at);
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE run_stacks (
	run_id      text NOT NULL REFERENCES runs (id),
	stack       text NOT NULL,
	status      text NOT NULL,
	plan_sha256 text NOT NULL DEFAULT '',
	binding     json,
	summary     json,
	message     text NOT NULL DEFAULT '',
	updated_at  timestamptz NOT NULL,
	PRIMARY KEY (run_id, stack)
);
CREATE INDEX run_stacks_stack ON run_stacks (stack);

CREATE TABLE approvals (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id     text NOT NULL REFERENCES runs (id),
	approver   text NOT NULL,
	comment    text NOT NULL DEFAULT '',
	binding    text NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX approvals_run ON approvals (run_id);

-- seq is assigned by the appender under an advisory lock, so the log is one
-- chain however many vigil processes append.
CREATE TABLE audit (
	seq          bigint PRIMARY KEY,
	at           timestamptz NOT NULL,
	actor        text NOT NULL,
	action       text NOT NULL,
	run_id       text NOT NULL DEFAULT '',
	outcome      text NOT NULL DEFAULT '',
	detail       json,
	subject_hash text NOT NULL DEFAULT '',
	prev_hash    text NOT NULL,
	hash         text NOT NULL
);

CREATE TABLE alert_states (
	key        text PRIMARY KEY,
	kind       text NOT NULL DEFAULT '',
	env        text NOT NULL DEFAULT '',
	firing     boolean NOT NULL DEFAULT false,
	state      json NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE alert_deliveries (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at           timestamptz NOT NULL,
	key          text NOT NULL,
	kind         text NOT NULL DEFAULT '',
	severity     text NOT NULL DEFAULT '',
	env          text NOT NULL DEFAULT '',
	layer        text NOT NULL DEFAULT '',
	stack        text NOT NULL DEFAULT '',
	summary      text NOT NULL DEFAULT '',
	status       text NOT NULL DEFAULT '',
	action       text NOT NULL DEFAULT '',
	revision     integer NOT NULL DEFAULT 0,
	firing_since timestamptz,
	route        text NOT NULL DEFAULT '',
	receiver     text NOT NULL DEFAULT '',
	integration  text NOT NULL DEFAULT '',
	attempt      integer NOT NULL DEFAULT 0,
	outcome      text NOT NULL DEFAULT '',
	error        text NOT NULL DEFAULT '',
	duration_ns  bigint NOT NULL DEFAULT 0
);
CREATE INDEX alert_deliveries_at ON alert_deliveries (at);
CREATE INDEX alert_deliveries_key ON alert_deliveries (key, at);

CREATE TABLE drift_reports (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	env         text NOT NULL,
	stack       text NOT NULL DEFAULT '',
	status      text NOT NULL CHECK (status IN ('clean', 'drifted', 'error')),
	checked_at  timestamptz NOT NULL,
	duration_ns bigint NOT NULL DEFAULT 0,
	findings    integer NOT NULL DEFAULT 0,
	report      json,
	error       text NOT NULL DEFAULT ''
);
CREATE INDEX drift_reports_stack ON drift_reports (env, stack, checked_at);

CREATE TABLE canary_results (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	canary     text NOT NULL,
	env        text NOT NULL DEFAULT '',
	at         timestamptz NOT NULL,
	ok         boolean NOT NULL,
	latency_ns bigint NOT NULL DEFAULT 0,
	status     integer NOT NULL DEFAULT 0,
	error      text NOT NULL DEFAULT ''
);
CREATE INDEX canary_results_canary ON canary_results (canary, at);
CREATE INDEX canary_results_at ON canary_results (at);

CREATE TABLE canary_states (
	canary     text PRIMARY KEY,
	alerting   boolean NOT NULL DEFAULT false,
	state      json NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE incidents (
	id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind   text NOT NULL,
	env    text NOT NULL DEFAULT '',
	stack  text NOT NULL DEFAULT '',
	title  text NOT NULL,
	detail json,
	at     timestamptz NOT NULL,
	source text NOT NULL DEFAULT ''
);
CREATE INDEX incidents_at ON incidents (at);

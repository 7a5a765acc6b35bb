// Package state is the sandbox's durable storage: every resource of every
// service as a JSON document in an embedded SQLite database, and large
// payloads (S3 objects, Lambda zips) as files beside it.
//
// # Why SQLite
//
// The sandbox must keep every write it acknowledged across a kill -9. An
// append-only log would need its own compaction, index and crash recovery;
// SQLite in WAL mode with synchronous=FULL gives atomic, durable
// transactions (a commit returns only after the WAL is fsynced), concurrent
// readers, and a file a person can inspect with the sqlite3 shell. Services
// do read-modify-write inside one Update transaction, which is how
// conditional writes (If-None-Match, DynamoDB condition expressions) stay
// atomic.
//
// # Blobs
//
// Object bodies are streamed to a temporary file, fsynced, and renamed into
// blobs/ before the transaction that references them commits. A crash
// between the rename and the commit leaves an unreferenced file (garbage,
// never a lost acknowledged write); temporary files are removed at Open.
//
// # Example
//
//	st, _ := state.Open(dir)
//	defer st.Close()
//	err := st.Update(ctx, func(tx *state.Tx) error {
//		var b Bucket
//		if err := tx.Get("s3/bucket", name, &b); err == nil {
//			return errBucketExists
//		}
//		return tx.Put("s3/bucket", name, Bucket{Name: name})
//	})
package state

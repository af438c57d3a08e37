//! Database connection and write transactions.
//!
//! SQLite runs in WAL mode with foreign keys, `synchronous=FULL` and a busy timeout. It has one
//! writer at a time. Writers of this process take turns first in one first-come-first-served
//! queue per database file (`WriteTransaction` holds the turn until it commits or is dropped),
//! so the database's own lock is free whenever a writer asks for it: SQLite's busy handler, which
//! sleeps and retries and lets a later writer pass an unlucky one, is left for another process
//! (the command line) writing the same file. A SQLite transaction that starts with a read and
//! later writes would fail at once with "database is locked" if another process got there
//! first, so each write transaction also takes the lock up front (a no-op write to
//! `write_lock`). A writer that cannot get its turn or the lock in time gets a 503 with
//! `Retry-After`, never a lost write.
//!
//! On PostgreSQL (read committed) a transaction does not hold the whole database, so a read
//! followed by a write is not atomic: two requests can read the same row, both decide, and both
//! write. Whatever is single use or counted is therefore consumed by one conditional write
//! whose condition the database checks (`UPDATE ... WHERE used_at IS NULL`, `... WHERE attempts
//! < 5`), judged by the rows it changed (`changed_one`); rows a decision depends on are read
//! under a row lock (`locked`); and a row that may not exist yet is written with one `INSERT ...
//! ON CONFLICT DO UPDATE`. Row locks are taken in one order (account or patient, then its
//! tokens or codes, then the change log's head, then the audit chain head, which
//! `audit::append` locks last).

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    ExecResult, QueryResult, QuerySelect, Select, SqlxPostgresConnector, SqlxSqliteConnector,
    Statement, TransactionTrait, UpdateResult,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

use crate::error::{AppError, AppResult};

pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for its turn before answering 503.
pub const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the database named by `url` (`sqlite:...` or `postgres://...`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let to_db_err = |e: sqlx::Error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e));
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(to_db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbErr::Custom(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(to_db_err)?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(to_db_err)?;
        Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
    }
}

/// The queue of this process's writers to one SQLite file (tokio's mutex serves waiters in
/// the order they came).
type WriteQueue = Arc<tokio::sync::Mutex<()>>;

static WRITE_QUEUES: LazyLock<Mutex<HashMap<PathBuf, WriteQueue>>> =
    LazyLock::new(Default::default);

/// Waits for this writer's turn at the SQLite file behind `db` (none on PostgreSQL, where
/// writers lock rows, not the database).
async fn write_turn(db: &DatabaseConnection) -> AppResult<Option<OwnedMutexGuard<()>>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let queue = WRITE_QUEUES
        .lock()
        .map_err(|_| AppError::internal("write queue registry poisoned"))?
        .entry(file)
        .or_default()
        .clone();
    match tokio::time::timeout(WRITE_TURN_TIMEOUT, queue.lock_owned()).await {
        Ok(turn) => Ok(Some(turn)),
        Err(_) => {
            tracing::warn!("no turn to write within {WRITE_TURN_TIMEOUT:?}");
            Err(crate::domain::ErrorKind::Unavailable {
                retry_after_secs: 1,
            }
            .into())
        }
    }
}

/// A write transaction. On SQLite it holds this writer's turn until it is committed, rolled
/// back or dropped. It reads and writes like the `DatabaseTransaction` it wraps.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one(stmt).await
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Begins a write transaction: on SQLite, once it is this writer's turn, holding the write
/// lock from its first statement.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<WriteTransaction> {
    const ATTEMPTS: u32 = 3;
    let turn = write_turn(db).await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let txn = db.begin().await?;
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(WriteTransaction { txn, _turn: turn });
        }
        match txn
            .execute(Statement::from_string(
                DbBackend::Sqlite,
                "DELETE FROM write_lock WHERE 0",
            ))
            .await
        {
            Ok(_) => return Ok(WriteTransaction { txn, _turn: turn }),
            Err(e) if is_busy(&e) && attempt < ATTEMPTS => {
                let _ = txn.rollback().await;
                tracing::warn!(attempt, "sqlite write lock busy; retrying");
            }
            Err(e) => {
                let _ = txn.rollback().await;
                return Err(AppError::from(e));
            }
        }
    }
}

/// Whether a conditional write changed exactly one row: the single-use value was consumed by
/// this request, or the counted attempt was granted to it.
pub fn changed_one(result: &UpdateResult) -> bool {
    result.rows_affected == 1
}

/// `query` reading its rows under a row lock until the transaction ends (`FOR UPDATE` on
/// PostgreSQL; a SQLite write transaction already holds the whole database).
pub fn locked<E: EntityTrait>(query: Select<E>, db: &impl ConnectionTrait) -> Select<E> {
    if db.get_database_backend() == DbBackend::Postgres {
        query.lock_exclusive()
    } else {
        query
    }
}

/// `query` under a shared row lock (`FOR SHARE` on PostgreSQL): the rows cannot change until
/// the transaction ends, while other readers may lock them too.
pub fn shared<E: EntityTrait>(query: Select<E>, db: &impl ConnectionTrait) -> Select<E> {
    if db.get_database_backend() == DbBackend::Postgres {
        query.lock_shared()
    } else {
        query
    }
}

/// Whether the error is SQLite's "database is locked/busy".
pub fn is_busy(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("database is locked")
        || text.contains("database is busy")
        || text.contains("(code: 5)")
}

/// Whether the error is a unique-constraint violation (both backends).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Checks that the database answers (for `/ready`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writers to one SQLite file get their turns in the order they asked, however many wait.
    #[tokio::test]
    async fn sqlite_writers_take_turns_in_the_order_they_came() {
        let dir = std::env::temp_dir().join(format!("hl-turns-{}", uuid::Uuid::now_v7()));
        let url = format!("sqlite:{}", dir.join("turns.db").display());
        let db = connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE write_lock (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        let first = begin_write(&db).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut writers = Vec::new();
        for i in 0..20 {
            let (db, order) = (db.clone(), order.clone());
            writers.push(tokio::spawn(async move {
                let txn = begin_write(&db).await.unwrap();
                order.lock().unwrap().push(i);
                txn.commit().await.unwrap();
            }));
            // Writer i asks before writer i + 1.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(order.lock().unwrap().is_empty(), "all wait for the first");
        first.commit().await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
        db.close().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}

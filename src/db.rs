//! Database connection and write transactions.
//!
//! SQLite runs in WAL mode with foreign keys, `synchronous=FULL` and a busy timeout. A SQLite
//! transaction that starts with a read and later writes fails at once with "database is
//! locked" when another writer got there first, without waiting for the busy timeout; so every
//! write transaction here takes the write lock up front (a no-op write to `write_lock`), which
//! makes concurrent writers queue. If the lock still cannot be had the caller gets a 503 with
//! `Retry-After`, never a lost write.
//!
//! On PostgreSQL (read committed) a transaction does not hold the whole database, so a read
//! followed by a write is not atomic: two requests can read the same row, both decide, and both
//! write. Whatever is single use or counted is therefore consumed by one conditional write
//! whose condition the database checks (`UPDATE ... WHERE used_at IS NULL`, `... WHERE attempts
//! < 5`), judged by the rows it changed (`changed_one`); rows a decision depends on are read
//! under a row lock (`locked`); and a row that may not exist yet is written with one `INSERT ...
//! ON CONFLICT DO UPDATE`. Row locks are taken in one order (account or patient, then its
//! tokens or codes, then the audit chain head, which `audit::append` locks last).

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QuerySelect, Select, SqlxPostgresConnector, SqlxSqliteConnector, Statement, TransactionTrait,
    UpdateResult,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

use crate::error::{AppError, AppResult};

pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Begins a transaction that holds the write lock from its first statement.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    const ATTEMPTS: u32 = 3;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let txn = db.begin().await?;
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(txn);
        }
        match txn
            .execute(Statement::from_string(
                DbBackend::Sqlite,
                "DELETE FROM write_lock WHERE 0",
            ))
            .await
        {
            Ok(_) => return Ok(txn),
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

//! Browser sessions in the application database (tower-sessions), so every instance sees the
//! same sessions. Writes take the write lock like every other write.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hospitallink::db::{begin_write, is_unique_violation};
use hospitallink::entities::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

use hospitallink::config::Config;
use hospitallink::services::identity::access::STAFF_IDLE_MINUTES;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> Result<u64> {
        let txn = begin_write(&self.db).await.map_err(backend)?;
        let done = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(Utc::now()))
            .exec(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)?;
        Ok(done.rows_affected)
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn model(record: &Record) -> Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?),
        expires_at: Set(to_chrono(record.expiry_date)),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            let txn = begin_write(&self.db).await.map_err(backend)?;
            match session::Entity::insert(model(record)?).exec(&txn).await {
                Ok(_) => {
                    txn.commit().await.map_err(backend)?;
                    return Ok(());
                }
                Err(e) if is_unique_violation(&e) => {
                    drop(txn);
                    record.id = Id::default();
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let txn = begin_write(&self.db).await.map_err(backend)?;
        session::Entity::insert(model(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let txn = begin_write(&self.db).await.map_err(backend)?;
        session::Entity::delete_by_id(id.to_string())
            .exec(&txn)
            .await
            .map_err(backend)?;
        txn.commit().await.map_err(backend)
    }
}

/// The session cookie: `__Host-` prefixed and `Secure` outside development, `HttpOnly`,
/// `SameSite=Lax`, `Path=/`, expiring after the staff idle limit (patients get a shorter one
/// at sign-in).
pub fn layer(config: &Config, store: DbSessionStore) -> SessionManagerLayer<DbSessionStore> {
    let dev = config.env.is_development();
    SessionManagerLayer::new(store)
        .with_name(if dev {
            "hl_session"
        } else {
            "__Host-hl_session"
        })
        .with_secure(!dev)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            STAFF_IDLE_MINUTES,
        )))
}

/// Deletes expired sessions every 15 minutes.
pub fn spawn_cleanup(store: DbSessionStore) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15 * 60));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired session cleanup failed");
            }
        }
    })
}

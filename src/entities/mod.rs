//! SeaORM entities. Only services use them.

pub mod api_client;
pub mod audit_chain_head;
pub mod audit_log;
pub mod break_glass_session;
pub mod clinical_record;
pub mod clinical_record_revision;
pub mod code_request;
pub mod consent_grant;
pub mod consent_request;
pub mod hospital;
pub mod outbox_message;
pub mod patient;
pub mod patient_attachment;
pub mod patient_clinical_state;
pub mod patient_hospital_link;
pub mod patient_name_token;
pub mod patient_preference;
pub mod proxy;
pub mod proxy_relationship;
pub mod refresh_token;
pub mod session;
pub mod sign_in_code;
pub mod sign_in_failure;
pub mod staff_account;
pub mod staff_invitation;

//! REST API under `/api/v1`: plain axum handlers over the domain core.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod cds;
pub mod clients;
pub mod fhir;
pub mod hospitals;
pub mod indicators;
pub mod notifications;
pub mod patients;
pub mod portal;
pub mod proxies;
pub mod scheduling;
pub mod sharing;
pub mod staff;
pub mod sync;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hospitallink::domain::error::ErrorBody;
use hospitallink::domain::page::Pagination;
use hospitallink::domain::platform::audit::{AuditEntry, ChainReport};
use hospitallink::domain::platform::hospital::{Hospital, HospitalInput};
use hospitallink::domain::ErrorKind;
use utoipa::OpenApi;

use crate::error::ApiError;
use app::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HospitalLink API",
        description = "HIV care coordination across the hospitals of a network. Errors are `{\"error\", \"code\", \"fields\"}`; lists are paginated with `page` and `per_page` (at most 100).",
        version = "1"
    ),
    paths(
        auth::admin_login,
        auth::mfa_complete,
        auth::mfa_setup,
        auth::mfa_confirm,
        auth::request_otp,
        auth::verify_otp,
        auth::refresh,
        auth::logout,
        auth::me,
        clients::token,
        clients::list,
        clients::create,
        clients::update,
        clients::rotate,
        staff::invite,
        staff::accept,
        staff::list,
        staff::get_one,
        staff::update,
        hospitals::create,
        hospitals::list,
        hospitals::get_one,
        hospitals::update,
        hospitals::update_settings,
        patients::register,
        patients::search,
        patients::hospital_patients,
        patients::get_one,
        patients::update,
        patients::delete_patient,
        patients::link,
        patients::sign_out,
        patients::unlock,
        patients::summary,
        patients::add_record,
        patients::list_records,
        patients::get_record,
        patients::update_record,
        patients::delete_record,
        cds::interaction_check,
        cds::worklist_counts,
        cds::worklist,
        cds::record_tracing,
        indicators::report,
        indicators::patients,
        indicators::csv,
        indicators::network,
        attachments::upload,
        attachments::list,
        attachments::download,
        attachments::delete_attachment,
        sharing::record,
        sharing::list,
        sharing::revoke,
        sharing::request_consent,
        sharing::confirm_consent,
        sharing::open_break_glass,
        sharing::break_glass_queue,
        sharing::review_break_glass,
        sharing::patient_grant,
        sharing::patient_revoke,
        sharing::patient_permissions,
        sharing::my_access_log,
        portal::me,
        portal::update_me,
        portal::home,
        portal::appointments,
        portal::records,
        portal::export_bundle,
        proxies::list,
        proxies::add,
        proxies::end,
        proxies::accept,
        proxies::acting_for,
        proxies::guardians_of,
        proxies::add_guardian,
        proxies::end_guardian,
        proxies::unlock_guardian,
        sync::upload,
        sync::changes_since,
        fhir::metadata,
        fhir::read_patient,
        fhir::search_observations,
        fhir::read_observation,
        fhir::create_observation,
        fhir::everything,
        fhir::search_medication_requests,
        fhir::read_medication_request,
        fhir::search_conditions,
        fhir::read_condition,
        fhir::search_allergies,
        fhir::read_allergy,
        fhir::search_consents,
        fhir::read_consent,
        fhir::search_patients,
        scheduling::create,
        scheduling::list,
        scheduling::get_one,
        scheduling::update,
        scheduling::cancel,
        scheduling::create_invoice,
        scheduling::list_invoices,
        scheduling::get_invoice,
        scheduling::update_invoice,
        scheduling::fees,
        scheduling::set_fees,
        notifications::list,
        notifications::retry,
        notifications::list_templates,
        notifications::set_template,
        notifications::preview_template,
        audit::list,
        audit::verify,
    ),
    components(schemas(
        Hospital,
        HospitalInput,
        hospitallink::domain::platform::hospital::HospitalSettings,
        ErrorBody,
        Pagination,
        hospitals::HospitalList,
        AuditEntry,
        ChainReport,
        audit::AuditList,
        staff::StaffList,
        hospitallink::domain::identity::auth::LoginRequest,
        hospitallink::domain::identity::auth::LoginResponse,
        hospitallink::domain::identity::auth::TokenResponse,
        hospitallink::domain::identity::auth::MfaRequest,
        hospitallink::domain::identity::auth::MfaSetupResponse,
        hospitallink::domain::identity::auth::MfaConfirmRequest,
        hospitallink::domain::identity::auth::RecoveryCodesResponse,
        hospitallink::domain::identity::auth::OtpRequest,
        hospitallink::domain::identity::auth::OtpVerifyRequest,
        hospitallink::domain::identity::auth::RefreshRequest,
        hospitallink::domain::identity::auth::Me,
        hospitallink::domain::identity::auth::InvitationRequest,
        hospitallink::domain::identity::auth::Invitation,
        hospitallink::domain::identity::auth::AcceptInvitationRequest,
        hospitallink::domain::identity::auth::StaffMember,
        hospitallink::domain::identity::auth::StaffUpdate,
        hospitallink::domain::clinical::patient::PatientInput,
        hospitallink::domain::clinical::patient::Patient,
        hospitallink::domain::clinical::patient::PatientListItem,
        hospitallink::domain::clinical::patient::LinkRequest,
        hospitallink::domain::clinical::patient::DeleteRequest,
        hospitallink::domain::clinical::record::RecordInput,
        hospitallink::domain::clinical::record::RecordUpdate,
        hospitallink::domain::clinical::record::ClinicalRecord,
        hospitallink::domain::clinical::record::RecordType,
        hospitallink::domain::clinical::category::DataCategory,
        hospitallink::domain::clinical::record::PatientSummary,
        hospitallink::domain::clinical::record::VlResult,
        hospitallink::domain::clinical::record::VlInterpretation,
        hospitallink::domain::clinical::record::VlThresholds,
        hospitallink::domain::clinical::record::Cd4Result,
        hospitallink::domain::clinical::record::CurrentRegimen,
        hospitallink::domain::cds::Flag,
        hospitallink::domain::cds::Evidence,
        hospitallink::domain::cds::FlagKind,
        hospitallink::domain::cds::Severity,
        hospitallink::domain::cds::interactions::InteractionWarning,
        hospitallink::domain::cds::interactions::InteractionSeverity,
        cds::InteractionCheck,
        hospitallink::domain::cds::worklist::Worklist,
        hospitallink::domain::cds::worklist::WorklistCounts,
        hospitallink::domain::cds::worklist::WorklistPage,
        hospitallink::domain::cds::worklist::WorklistEntry,
        hospitallink::domain::cds::worklist::LastOutcome,
        hospitallink::domain::cds::worklist::TracingInput,
        hospitallink::domain::cds::worklist::TracingRecord,
        hospitallink::domain::cds::retention::TracingOutcome,
        hospitallink::domain::indicators::Measure,
        hospitallink::domain::indicators::IndicatorReport,
        hospitallink::domain::indicators::IndicatorValue,
        hospitallink::domain::indicators::Cell,
        hospitallink::domain::indicators::OutcomeCount,
        hospitallink::domain::indicators::Cascade,
        hospitallink::domain::indicators::SuppressionMonth,
        hospitallink::domain::indicators::AgeBand,
        hospitallink::domain::indicators::SexGroup,
        hospitallink::domain::indicators::MlOutcome,
        hospitallink::domain::indicators::IndicatorPatients,
        hospitallink::domain::indicators::IndicatorPatient,
        hospitallink::domain::indicators::NetworkReport,
        hospitallink::domain::indicators::HospitalColumn,
        hospitallink::domain::indicators::NetworkValue,
        hospitallink::domain::clinical::record::ViralLoad,
        hospitallink::domain::clinical::record::Cd4,
        hospitallink::domain::clinical::record::ArtRegimen,
        hospitallink::domain::clinical::record::AdherenceNote,
        hospitallink::domain::clinical::record::VitalSigns,
        hospitallink::domain::clinical::record::LabResult,
        hospitallink::domain::clinical::record::Diagnosis,
        hospitallink::domain::clinical::record::Allergy,
        hospitallink::domain::clinical::record::Prescription,
        hospitallink::domain::clinical::record::Dispensing,
        patients::PatientList,
        patients::RecordList,
        attachments::AttachmentList,
        attachments::UploadForm,
        hospitallink::domain::clinical::attachment::Attachment,
        hospitallink::domain::clinical::attachment::AttachmentKind,
        hospitallink::domain::clinical::attachment::FileType,
        hospitallink::domain::sharing::grant::GrantInput,
        hospitallink::domain::sharing::grant::Grant,
        hospitallink::domain::sharing::grant::GrantStatus,
        hospitallink::domain::sharing::grant::GrantSource,
        hospitallink::domain::sharing::grant::Purpose,
        sharing::GrantList,
        hospitallink::domain::sharing::grant::ConsentRequestInput,
        hospitallink::domain::sharing::grant::ConsentRequest,
        hospitallink::domain::sharing::grant::ConfirmInput,
        hospitallink::domain::sharing::grant::PatientGrantInput,
        sharing::BreakGlassList,
        sharing::AccessLog,
        hospitallink::domain::sharing::access::AccessLogEntry,
        hospitallink::domain::sharing::break_glass::BreakGlass,
        hospitallink::domain::sharing::break_glass::BreakGlassRequest,
        hospitallink::domain::sharing::break_glass::ReviewRequest,
        hospitallink::domain::sharing::break_glass::ReviewOutcome,
        hospitallink::domain::sharing::break_glass::ReadDuring,
        hospitallink::domain::integration::sync::UploadBatch,
        hospitallink::domain::integration::sync::PatientItem,
        hospitallink::domain::integration::sync::RecordItem,
        hospitallink::domain::integration::sync::UploadResult,
        hospitallink::domain::integration::sync::ItemResult,
        hospitallink::domain::integration::sync::ItemStatus,
        hospitallink::domain::integration::sync::UploadCounts,
        hospitallink::domain::integration::changes::ChangesPage,
        hospitallink::domain::integration::changes::Change,
        hospitallink::domain::integration::changes::ChangeEntity,
        hospitallink::domain::portal::MyProfile,
        hospitallink::domain::portal::MyHospital,
        hospitallink::domain::portal::Preferences,
        hospitallink::domain::portal::PreferencesInput,
        hospitallink::domain::portal::ReminderChannel,
        hospitallink::domain::portal::Language,
        hospitallink::domain::portal::PortalHome,
        hospitallink::domain::portal::MyVisit,
        hospitallink::domain::portal::MyVisits,
        hospitallink::domain::portal::home::LastTest,
        hospitallink::domain::portal::ViralLoadNews,
        hospitallink::domain::portal::Treatment,
        hospitallink::domain::portal::MyRecords,
        hospitallink::domain::portal::RecordGroup,
        hospitallink::domain::portal::records::MyRecord,
        hospitallink::domain::portal::records::Reading,
        hospitallink::domain::integration::ApiClient,
        hospitallink::domain::integration::ApiClientSecret,
        hospitallink::domain::integration::ClientInput,
        hospitallink::domain::integration::ClientUpdate,
        hospitallink::domain::integration::TokenRequest,
        hospitallink::domain::integration::ClientToken,
        hospitallink::domain::proxies::MyProxies,
        hospitallink::domain::proxies::Proxy,
        hospitallink::domain::proxies::ActingFor,
        hospitallink::domain::proxies::ProxyInput,
        hospitallink::domain::proxies::GuardianInput,
        hospitallink::domain::proxies::ActingForInput,
        hospitallink::domain::proxies::ProxyAccess,
        hospitallink::domain::proxies::ProxyStatus,
        hospitallink::domain::proxies::ProxyParty,
        hospitallink::domain::proxies::Relationship,
        hospitallink::domain::scheduling::appointment::Appointment,
        hospitallink::domain::scheduling::appointment::AppointmentInput,
        hospitallink::domain::scheduling::appointment::AppointmentUpdate,
        hospitallink::domain::scheduling::appointment::AppointmentStatus,
        hospitallink::domain::scheduling::appointment::VisitType,
        hospitallink::domain::scheduling::billing::Invoice,
        hospitallink::domain::scheduling::billing::InvoiceInput,
        hospitallink::domain::scheduling::billing::InvoiceUpdate,
        hospitallink::domain::scheduling::billing::InvoiceStatus,
        hospitallink::domain::scheduling::billing::InvoiceTotals,
        hospitallink::domain::scheduling::billing::VisitFee,
        hospitallink::domain::scheduling::billing::VisitFeeInput,
        hospitallink::domain::scheduling::billing::FeeTableInput,
        scheduling::AppointmentAnswer,
        scheduling::AppointmentList,
        scheduling::Cancelled,
        scheduling::InvoiceAnswer,
        scheduling::InvoiceList,
        scheduling::FeeTable,
        hospitallink::domain::platform::outbox::Delivery,
        hospitallink::domain::notifications::templates::TemplateInput,
        hospitallink::domain::notifications::templates::TemplateView,
        hospitallink::domain::notifications::Kind,
        hospitallink::domain::notifications::Channel,
        notifications::DeliveryList,
        notifications::TemplateList,
    )),
    modifiers(&BearerAuth, &EveryAnswer),
    tags(
        (name = "auth", description = "Sign-in, tokens and the second factor"),
        (name = "staff", description = "Staff invitations and accounts"),
        (name = "hospitals", description = "The network's hospital registry"),
        (name = "patients", description = "Patients, their hospital links and MRNs"),
        (name = "records", description = "HIV clinical records and the summary"),
        (name = "decision support", description = "WHO HIV DAK worklists and tracing outcomes"),
        (name = "indicators", description = "PEPFAR MER indicators, the care cascade and the network view"),
        (name = "attachments", description = "Consent forms and scans, stored encrypted"),
        (name = "sharing", description = "The patient's consent grants across hospitals, and break-glass"),
        (name = "portal", description = "The signed-in patient's own profile, preferences, records and export"),
        (name = "appointments", description = "Booking, rescheduling, check-in, completion and cancellation, with conflict detection"),
        (name = "billing", description = "Visit fees, CPT records, invoices and payments"),
        (name = "notifications", description = "Messages to patients: delivery status, dead letters, each hospital's discreet wording"),
        (name = "sync", description = "Batch upload by a hospital's own ids, and the changes feed"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "fhir", description = "FHIR R4: the same consent, authorization and audit as every other path")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        }
    }
}

/// Documents the answers every operation can give besides its own: those of the layers and
/// extractors in front of every handler. A malformed id or query is 400; a JSON body with
/// another content type is 415, one over the limit 413; without a valid sign-in 401, without
/// the permission 403; a busy database 503 with `Retry-After`.
struct EveryAnswer;

impl utoipa::Modify for EveryAnswer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        // The FHIR API answers errors as OperationOutcome resources.
        let error = |description: &str, fhir: bool| {
            let content = if fhir {
                ContentBuilder::new()
                    .schema(Some(utoipa::openapi::ObjectBuilder::new()))
                    .build()
            } else {
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build()
            };
            let media = if fhir {
                "application/fhir+json"
            } else {
                "application/json"
            };
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(media, content)
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let fhir = path.starts_with("/fhir/");
            let add = |op: &mut Operation, status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description, fhir));
            };
            let limited =
                path.starts_with("/api/v1/auth/") || path.ends_with("/invitations/accept");
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let has_path_id = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path));
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                if has_path_id || has_query || op.request_body.is_some() {
                    add(op, "400", "Malformed input; `fields` names each problem");
                }
                if has_path_id {
                    add(op, "404", "Absent, or outside your view");
                }
                if op.request_body.is_some() {
                    add(op, "413", "The body is larger than the limit");
                    add(op, "415", "The body is not of the documented content type");
                }
                if op.security.is_some() {
                    add(op, "401", "Not signed in, or the token expired");
                    add(op, "403", "Your role may not do this");
                }
                if limited {
                    add(
                        op,
                        "429",
                        "Too many attempts; retry after `Retry-After` seconds",
                    );
                }
                add(
                    op,
                    "503",
                    "The database is busy; retry after `Retry-After` seconds",
                );
            }
        }
    }
}

/// A JSON body that may be absent (then the type's defaults, whose validation names the
/// missing fields).
pub(crate) fn optional_json<T: serde::de::DeserializeOwned + Default>(
    bytes: &axum::body::Bytes,
) -> crate::error::ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        crate::extract::parse_json(bytes)
    }
}

/// The `/api/v1` router, with a JSON 404 for unknown paths and a JSON 405 for wrong methods.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .merge(auth::router())
        .merge(staff::router())
        .merge(hospitals::router())
        .merge(patients::router())
        .merge(cds::router())
        .merge(indicators::router())
        .merge(attachments::router())
        .merge(sharing::router())
        .merge(portal::router())
        .merge(proxies::router())
        .merge(clients::router())
        .merge(sync::router())
        .merge(scheduling::router())
        .merge(notifications::router())
        .merge(audit::router())
        .fallback(not_found)
        .layer(axum::middleware::map_response(json_method_not_allowed))
}

/// A JSON response carrying the object's version as its `ETag` (and a `Location` when given).
pub fn versioned<T: serde::Serialize>(
    status: StatusCode,
    version: i64,
    location: Option<&str>,
    body: &T,
) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError(ErrorKind::NotFound {
        message: "No such API endpoint.".into(),
    })
}

async fn json_method_not_allowed(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = response.headers().get(header::ALLOW).cloned();
        let body = ErrorBody {
            error: "This method is not allowed on this endpoint.".into(),
            code: "method_not_allowed".into(),
            fields: Default::default(),
            existing_id: None,
            warnings: Vec::new(),
        };
        let mut out = (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response();
        if let Some(allow) = allow {
            out.headers_mut().insert(header::ALLOW, allow);
        }
        return out;
    }
    response
}

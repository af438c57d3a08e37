//! The authorization matrix, generated from the route table: every documented REST operation
//! and every server function is called as anonymous and as each role, against objects of the
//! caller's own hospital and of another. A route missing from `RULES` fails the test, so a new
//! route cannot be added without deciding who may call it.

mod common;

use common::{hospital_json, spawn_app, Staff};
use hospitallink::domain::role::{Permission, Role};
use hospitallink::policy::Caller;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use utoipa::OpenApi;

#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in staff member or patient.
    SignedIn,
    /// Staff with this permission; `scoped` operations on another hospital's object are 404.
    Needs {
        permission: Permission,
        scoped: bool,
    },
}

use Rule::*;

const fn needs(permission: Permission) -> Rule {
    Needs {
        permission,
        scoped: false,
    }
}

const fn scoped(permission: Permission) -> Rule {
    Needs {
        permission,
        scoped: true,
    }
}

/// Who may call what. Keys are `METHOD path` as routed.
const RULES: &[(&str, Rule)] = &[
    ("POST /api/v1/auth/admin/login", Public),
    ("POST /api/v1/auth/mfa", Public),
    ("POST /api/v1/auth/mfa/setup", SignedIn),
    ("POST /api/v1/auth/mfa/confirm", SignedIn),
    ("POST /api/v1/auth/patient/request-otp", Public),
    ("POST /api/v1/auth/patient/verify-otp", Public),
    ("POST /api/v1/auth/refresh", Public),
    ("POST /api/v1/auth/logout", Public),
    ("GET /api/v1/auth/me", SignedIn),
    (
        "POST /api/v1/staff/invitations",
        needs(Permission::StaffManage),
    ),
    ("POST /api/v1/staff/invitations/accept", Public),
    ("GET /api/v1/staff", needs(Permission::StaffRead)),
    ("GET /api/v1/staff/{id}", scoped(Permission::StaffRead)),
    ("PUT /api/v1/staff/{id}", scoped(Permission::StaffManage)),
    ("POST /api/v1/hospitals", needs(Permission::HospitalsManage)),
    ("GET /api/v1/hospitals", Public),
    ("GET /api/v1/hospitals/{id}", Public),
    (
        "PUT /api/v1/hospitals/{id}",
        needs(Permission::HospitalsManage),
    ),
    ("GET /api/v1/audit", needs(Permission::AuditRead)),
    ("GET /api/v1/audit/verify", needs(Permission::AuditVerify)),
    ("POST /_fn/hospitals/list", Public),
    (
        "POST /_fn/hospitals/create",
        needs(Permission::HospitalsManage),
    ),
    ("POST /_fn/auth/me", Public),
    ("POST /_fn/auth/mfa/enrolment", SignedIn),
    ("POST /_fn/auth/invitation", Public),
    ("POST /_fn/outbox/list", needs(Permission::OutboxRead)),
    ("POST /_fn/audit/list", needs(Permission::AuditRead)),
];

fn routes() -> BTreeSet<String> {
    let doc = server::rest::ApiDoc::openapi();
    let mut all = BTreeSet::new();
    for (path, item) in doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ] {
            if op.is_some() {
                all.insert(format!("{method} {path}"));
            }
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        all.insert(format!("{method} {path}"));
    }
    all
}

#[test]
fn every_route_has_a_rule() {
    let routes = routes();
    let ruled: BTreeSet<String> = RULES.iter().map(|(k, _)| k.to_string()).collect();
    let missing: Vec<_> = routes.difference(&ruled).collect();
    let stale: Vec<_> = ruled.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization rule: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rules for routes that do not exist: {stale:?}"
    );
}

/// The objects the calls point at: own hospital and another.
struct World {
    own_hospital: uuid::Uuid,
    /// An account each caller may manage, by role.
    own_target: HashMap<Role, (uuid::Uuid, Role)>,
    other_target: (uuid::Uuid, Role),
}

fn body_for(key: &str, role: Option<Role>, world: &World, n: usize) -> Option<Value> {
    Some(match key {
        "POST /api/v1/staff/invitations" => {
            let (invited, hospital) = match role {
                Some(Role::PlatformAdmin) => ("hospital_admin", Some(world.own_hospital)),
                _ => ("viewer", None),
            };
            json!({"email": format!("invitee{n}@example.org"), "display_name": "Invitee", "role": invited, "hospital_id": hospital})
        }
        "POST /api/v1/hospitals" | "PUT /api/v1/hospitals/{id}" => hospital_json(&format!("M{n}")),
        "PUT /api/v1/staff/{id}" => json!({"active": true}),
        k if k.starts_with("POST /api/v1/auth/")
            || k.starts_with("POST /api/v1/staff/invitations/accept") =>
        {
            json!({})
        }
        _ => return None,
    })
}

fn form_for(key: &str, n: usize) -> Vec<(String, String)> {
    let pairs: Vec<(&str, String)> = match key {
        "POST /_fn/hospitals/list" => vec![("q", String::new()), ("page", "1".into())],
        "POST /_fn/hospitals/create" => vec![
            ("input[name]", format!("Matrix {n}")),
            ("input[code]", format!("MX{n}")),
            ("input[contact_email]", "m@example.org".into()),
            ("input[country]", "KE".into()),
        ],
        "POST /_fn/auth/invitation" => vec![("token", "unknown".into())],
        "POST /_fn/outbox/list" => vec![("page", "1".into())],
        "POST /_fn/audit/list" => vec![("query[page]", "1".into())],
        _ => vec![],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_says() {
    let app = spawn_app().await;
    let core = &app.core;
    let h = |code: &str| {
        let input = serde_json::from_value(hospital_json(code)).unwrap();
        async move {
            hospitallink::services::hospitals::create(core, &Caller::system(), &input)
                .await
                .unwrap()
                .id
        }
    };
    let own = h("OWN").await;
    let other = h("OTH").await;

    let mut callers: Vec<(Role, Staff)> = Vec::new();
    for role in Role::ALL {
        let hospital = (role != Role::PlatformAdmin).then_some(own);
        let staff = app
            .enrolled_staff(
                &format!("{}@own.example.org", role.as_str()),
                role,
                hospital,
            )
            .await;
        callers.push((role, staff));
    }
    let admin_target = callers
        .iter()
        .find(|(r, _)| *r == Role::HospitalAdmin)
        .unwrap()
        .1
        .id;
    let viewer_target = callers
        .iter()
        .find(|(r, _)| *r == Role::Viewer)
        .unwrap()
        .1
        .id;
    let stranger = app
        .create_staff("clinician@other.example.org", Role::Clinician, Some(other))
        .await;
    let world = World {
        own_hospital: own,
        own_target: HashMap::from([
            (Role::PlatformAdmin, (admin_target, Role::HospitalAdmin)),
            (Role::HospitalAdmin, (viewer_target, Role::Viewer)),
        ]),
        other_target: (stranger.id, Role::Clinician),
    };
    let mut tokens = Vec::new();
    for (role, staff) in &callers {
        tokens.push((*role, app.token(staff).await));
    }

    let mut n = 0;
    let mut checked = 0;
    let mut call =
        |key: &'static str, token: Option<String>, role: Option<Role>, other_side: bool| {
            n += 1;
            let (method, path) = key.split_once(' ').unwrap();
            let target = if other_side {
                world.other_target.0
            } else {
                role.and_then(|r| world.own_target.get(&r).map(|t| t.0))
                    .unwrap_or(world.other_target.0)
            };
            let concrete = if path.starts_with("/api/v1/hospitals/{id}") {
                path.replace("{id}", &own.to_string())
            } else {
                path.replace("{id}", &target.to_string())
            };
            let url = app.url(&concrete);
            let mut request = match method {
                "GET" => app.client.get(url),
                "PUT" => app.client.put(url),
                _ => app.client.post(url),
            };
            if let Some(t) = &token {
                request = request.bearer_auth(t);
            }
            request = if path.starts_with("/_fn/") {
                request
                    .header("accept", "application/json")
                    .form(&form_for(key, n))
            } else if let Some(body) = body_for(key, role, &world, n) {
                request.json(&body)
            } else {
                request
            };
            async move { request.send().await.unwrap().status().as_u16() }
        };

    for (key, rule) in RULES {
        // Anonymous.
        let status = call(key, None, None, false).await;
        match rule {
            Public => assert_ne!(status, 401, "{key} anonymous"),
            _ => assert_eq!(status, 401, "{key} anonymous"),
        }
        checked += 1;
        for (role, token) in &tokens {
            let status = call(key, Some(token.clone()), Some(*role), false).await;
            match rule {
                Public | SignedIn => {
                    assert!(![401, 403].contains(&status), "{key} as {role}: {status}")
                }
                Needs { permission, scoped } => {
                    if !role.has(*permission) {
                        assert_eq!(status, 403, "{key} as {role}");
                    } else {
                        assert!(
                            ![401, 403, 404, 500].contains(&status),
                            "{key} as {role}: {status}"
                        );
                        if *scoped && *role != Role::PlatformAdmin {
                            let status = call(key, Some(token.clone()), Some(*role), true).await;
                            assert_eq!(status, 404, "{key} as {role} on another hospital's object");
                            checked += 1;
                        }
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= RULES.len() * 9, "{checked} calls");
    app.cleanup().await;
}

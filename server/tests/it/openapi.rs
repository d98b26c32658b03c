//! Drift guard for `GET /api/openapi.json`: the route registrations in `server/src/api.rs` and
//! `server/src/api/**`, `server::api::API_ROUTES`, the live `/api` router and the hand-maintained document
//! must all name the same (method, path) pairs. Also checks the document's own wiring (refs, path
//! parameters, public routes, CSRF on writes); full OpenAPI 3.1 validation is `.ci/test.sh`'s job.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use axum::http::{Method, StatusCode};
use serde_json::Value;
use server::api::{API_ROUTES, OPENAPI_JSON};
use server::domain::Role;

use crate::support::{Caller, TestApp};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

fn listed() -> BTreeSet<(String, String)> {
    API_ROUTES.iter().map(|(method, path)| (method.to_string(), path.to_string())).collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("api dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The text of one `.route(...)` call starting at `start` (just after `.route(`), up to its closing paren.
fn call_body(text: &str, start: usize) -> &str {
    let mut depth = 1;
    for (offset, ch) in text[start..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..start + offset];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced .route( call");
}

/// Whether `text` calls a function named exactly `name` (`get(`, `.post(`, `routing::patch(`, not `keys::get)`).
fn calls(text: &str, name: &str) -> bool {
    text.match_indices(&format!("{name}(")).any(|(pos, _)| {
        let before = text[..pos].chars().last().unwrap_or(' ');
        !(before.is_alphanumeric() || before == '_')
    })
}

/// (method, path) pairs registered with `.route("path", get(..).post(..))` in one source file.
fn registrations(file: &Path, text: &str, out: &mut BTreeSet<(String, String)>, problems: &mut Vec<String>) {
    if text.contains(".nest(") || text.contains(".nest_service(") || text.contains(".route_service(") {
        problems.push(format!("{}: nested routers hide their prefix from this test; register routes with .route", file.display()));
    }
    for (at, _) in text.match_indices(".route(") {
        let body = call_body(text, at + ".route(".len());
        let Some(path) = body.trim_start().strip_prefix('"').and_then(|rest| rest.split('"').next()) else {
            problems.push(format!("{}: .route( without a literal path: {body}", file.display()));
            continue;
        };
        let handlers = &body[body.find(',').unwrap_or(body.len())..];
        let mut found = 0;
        for method in METHODS {
            if calls(handlers, &method.to_lowercase()) {
                out.insert((method.to_owned(), path.to_owned()));
                found += 1;
            }
        }
        if found == 0 || calls(handlers, "any") || calls(handlers, "on") {
            problems.push(format!("{}: list the methods of {path} explicitly (get/post/put/patch/delete)", file.display()));
        }
    }
}

#[test]
fn registrations_api_routes_and_the_document_list_the_same_routes() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.join("api.rs")];
    sources(&src.join("api"), &mut files);
    let (mut registered, mut problems) = (BTreeSet::new(), Vec::new());
    for file in &files {
        registrations(file, &std::fs::read_to_string(file).expect("read"), &mut registered, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(registered.len() > 40, "route registrations found: {}", registered.len());

    let listed = listed();
    assert_eq!(listed.len(), API_ROUTES.len(), "API_ROUTES has duplicates");
    let missing: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(missing.is_empty(), "registered but not in API_ROUTES (and so probably not in openapi.json): {missing:?}");
    assert!(stale.is_empty(), "in API_ROUTES but not registered: {stale:?}");

    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            let upper = method.to_uppercase();
            if METHODS.contains(&upper.as_str()) {
                documented.insert((upper, path.clone()));
            }
        }
    }
    let undocumented: Vec<_> = listed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&listed).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
    assert!(extra.is_empty(), "openapi.json documents routes the router does not serve: {extra:?}");
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(target.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_wired_consistently() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api");
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    let dangling: Vec<_> = targets.iter().filter(|target| resolve(&doc, target).is_none()).collect();
    assert!(dangling.is_empty(), "unresolved $refs: {dangling:?}");
    for code in ["validation_error", "unauthenticated", "csrf_failed", "version_mismatch", "stale_undo", "rate_limited", "internal_error"] {
        let codes = &doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"];
        assert!(codes.as_array().expect("code enum").iter().any(|c| c == code), "error code {code} missing from the envelope");
    }

    let public: BTreeSet<&str> = server::auth::PUBLIC_ROUTES.iter().filter_map(|(path, _)| path.strip_prefix("/api")).collect();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let name = format!("{} {path}", method.to_uppercase());
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| if p.get("$ref").is_some() { resolve(&doc, p["$ref"].as_str()?) } else { Some(p) })
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let templated: BTreeSet<&str> =
                path.split('/').filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
            if declared != templated {
                problems.push(format!("{name}: path parameters {declared:?} != template {templated:?}"));
            }
            let responses = op["responses"].as_object().expect("responses");
            if !responses.keys().any(|code| code.starts_with('2')) {
                problems.push(format!("{name}: no success response"));
            }
            let is_public = public.contains(path.as_str());
            let security = op.get("security").unwrap_or(&doc["security"]);
            if is_public != security.as_array().is_some_and(Vec::is_empty) {
                problems.push(format!("{name}: `security: []` must be used exactly for PUBLIC_ROUTES"));
            }
            if !is_public {
                if !responses.contains_key("401") {
                    problems.push(format!("{name}: a session route must document 401"));
                }
                // The gateway plane takes Bearer gateway keys, never the cookie, so it has no CSRF (§8.2).
                let gateway = path.starts_with("/v1/");
                if gateway && !security.to_string().contains("\"gatewayKey\"") {
                    problems.push(format!("{name}: a gateway route must require the gatewayKey scheme"));
                }
                if !gateway && method != "get" && !security.to_string().contains("\"csrf\"") {
                    problems.push(format!("{name}: a write must require the csrf scheme"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A concrete URL for a templated path; ids that exist nowhere, so no probe changes anything.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{slug}" => "no-such-preset",
            "{run_id}" => "no-such-run",
            s if s.starts_with('{') => "999999",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_live_router_answers_exactly_the_listed_methods() {
    let app = TestApp::new().await;
    let owner = app.as_role(Role::Owner).await;
    // The gateway plane ignores the cookie: its routes are probed with a gateway key instead.
    let gateway = Caller::Bearer(app.key("gateway").await.1);
    let public: BTreeSet<&str> = server::auth::PUBLIC_ROUTES.iter().filter_map(|(path, _)| path.strip_prefix("/api")).collect();
    let listed = listed();
    let paths: BTreeSet<&str> = API_ROUTES.iter().map(|(_, path)| *path).collect();
    let mut problems = Vec::new();
    // Logout ends the owner's session, so it is probed last.
    let mut probes: Vec<(&str, &str)> = paths.iter().flat_map(|path| METHODS.iter().map(move |m| (*m, *path))).collect();
    probes.sort_by_key(|(method, path)| (*method == "POST" && *path == "/auth/logout", *path, *method));
    for (method, path) in probes {
        let url = format!("/api{}", concrete(path));
        let caller = if path.starts_with("/v1/") && !public.contains(path) { &gateway } else { &owner };
        let (status, body, _) = app.send(Method::from_bytes(method.as_bytes()).expect("method"), &url, caller, None).await;
        let fallback = status == StatusCode::NOT_FOUND && body["error"]["message"] == "unknown /api route";
        let registered = listed.contains(&(method.to_owned(), path.to_owned()));
        if registered && (fallback || status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::UNAUTHORIZED) {
            problems.push(format!("{method} {url}: listed but answered {status} {body}"));
        }
        if !registered && status != StatusCode::METHOD_NOT_ALLOWED {
            problems.push(format!("{method} {url}: not listed but answered {status} {body}"));
        }
    }
    assert!(problems.is_empty(), "API_ROUTES and the router disagree:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn the_document_is_served_to_signed_in_callers_only() {
    let app = TestApp::new().await;
    let member = app.as_role(Role::Member).await;
    let (status, body, headers) = app.send(Method::GET, "/api/openapi.json", &member, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, document());
    let (status, body, _) = app.send(Method::GET, "/api/openapi.json", &Caller::Anonymous, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
}

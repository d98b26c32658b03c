//! The floor of the load benchmark (`end2end/bench/run.sh`): a proxy on Palisade's own stack (tokio, axum,
//! hyper, hyper-util's pooled client, as the providers use it) that forwards `POST /v1/chat/completions` to the
//! loopback mock upstream and copies the answer back, with no authentication, parsing, screening or recording.
//!
//! It answers "what does one extra HTTP hop cost on this machine?": the gateway's numbers are read against
//! this one, since no proxy of this shape can beat it. Not part of the product; never used by tests.
//!
//! `target/release/examples/bare_proxy 127.0.0.1:3913 http://127.0.0.1:3911`

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[derive(Clone)]
struct Upstream {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
}

async fn forward(State(upstream): State<Upstream>, body: Bytes) -> Response {
    let request = Request::post(upstream.uri.clone()).header(header::CONTENT_TYPE, "application/json").body(Full::new(body));
    let Ok(request) = request else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let Ok(answer) = upstream.client.request(request).await else { return StatusCode::BAD_GATEWAY.into_response() };
    let status = answer.status();
    match answer.into_body().collect().await {
        Ok(collected) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], collected.to_bytes()).into_response(),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:3913".into());
    let base = args.next().unwrap_or_else(|| "http://127.0.0.1:3911".into());
    let uri: Uri = format!("{}/v1/chat/completions", base.trim_end_matches('/'))
        .parse()
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("upstream base URL: {err}")))?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let upstream = Upstream { client: Client::builder(TokioExecutor::new()).build(connector), uri };
    let app = Router::new().route("/v1/chat/completions", post(forward)).with_state(upstream);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("bare proxy listening on {listen}, forwarding to {base}");
    axum::serve(listener, app).await
}

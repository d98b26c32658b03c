//! The dial-time SSRF guard of SPEC §5.11: outbound calls that a workspace user can point somewhere (approval
//! webhooks, MCP servers, external detectors) connect only to addresses this guard vetted.
//!
//! How: the guarded reqwest client resolves every hostname through [`GuardedResolver`], which drops refused
//! addresses before reqwest sees them, so the socket can only open to a vetted IP (no TOCTOU between a check
//! and a second lookup). IP literals skip resolvers in reqwest, so [`DialGuard::vet_url`] checks them before a
//! request and the redirect policy re-checks every hop (≤ 3 redirects). Admin-configured providers are exempt
//! and do not use this client (decided in §5.11).

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// The most redirects a guarded call follows (§5.11).
pub const MAX_REDIRECTS: usize = 3;

/// Why the guard refused a destination; its `Display` is the §5.11 reason text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuardRefusal {
    #[error("dial guard: {0} is a private or metadata address")]
    Private(IpAddr),
    #[error("dial guard: {0}")]
    BadUrl(String),
    #[error("dial guard: {host} does not resolve")]
    Unresolvable { host: String },
}

/// The guard: the refused ranges minus `security.allow_private_destinations`.
#[derive(Clone, Debug, Default)]
pub struct DialGuard {
    allowed: Vec<IpNet>,
    /// One pooled guarded client for callers that set their own per-request timeout.
    shared: OnceLock<reqwest::Client>,
}

/// Upper bound of the shared client; callers set shorter per-request timeouts (§4.6 caps them at 30 s).
const SHARED_CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

impl DialGuard {
    /// `allow_private` entries are CIDRs or addresses (validated by the config loader); unparsable entries
    /// allow nothing, which keeps the guard closed.
    pub fn new(allow_private: &[String]) -> DialGuard {
        let allowed = allow_private
            .iter()
            .filter_map(|entry| entry.parse::<IpNet>().ok().or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from)))
            .collect();
        DialGuard { allowed, shared: OnceLock::new() }
    }

    /// True when a call must not connect to `ip`.
    pub fn refuses(&self, ip: IpAddr) -> bool {
        is_private_or_metadata(ip) && !self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Checks a URL's scheme and, when the host is an IP literal, the address.
    pub fn vet_literal(&self, url: &Url) -> Result<(), GuardRefusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(GuardRefusal::BadUrl(format!("scheme `{}` is not http(s)", url.scheme())));
        }
        let Some(host) = url.host_str() else { return Err(GuardRefusal::BadUrl("the URL has no host".into())) };
        // IPv6 literals keep their brackets in `host_str`.
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) => self.vet_ip(ip),
            Err(_) => Ok(()),
        }
    }

    fn vet_ip(&self, ip: IpAddr) -> Result<(), GuardRefusal> {
        if self.refuses(ip) {
            Err(GuardRefusal::Private(ip))
        } else {
            Ok(())
        }
    }

    /// Save-time check (webhook URL, MCP endpoint): parses `url`, resolves its host and refuses it when any
    /// address is refused. Returns the vetted addresses. The dial-time check still runs on every call.
    pub async fn vet_url(&self, url: &str) -> Result<Vec<SocketAddr>, GuardRefusal> {
        let parsed = Url::parse(url).map_err(|err| GuardRefusal::BadUrl(format!("not a URL: {err}")))?;
        self.vet_literal(&parsed)?;
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| GuardRefusal::Unresolvable { host: host.clone() })?
            .collect();
        if addrs.is_empty() {
            return Err(GuardRefusal::Unresolvable { host });
        }
        // Saving is refused if ANY address is private: a name that mixes public and private answers is a
        // rebinding setup, not a misconfiguration worth accepting.
        if let Some(bad) = addrs.iter().find(|addr| self.refuses(addr.ip())) {
            return Err(GuardRefusal::Private(bad.ip()));
        }
        Ok(addrs)
    }

    /// The pooled guarded client (built on first use); set a per-request timeout on each call.
    pub fn http(&self) -> reqwest::Client {
        self.shared
            .get_or_init(|| Arc::new(DialGuard { allowed: self.allowed.clone(), shared: OnceLock::new() }).client(SHARED_CLIENT_TIMEOUT))
            .clone()
    }

    /// A reqwest client whose every connection goes through this guard (resolver + redirect policy).
    /// Callers still call [`DialGuard::vet_literal`] on the first URL (reqwest skips resolvers for literals).
    pub fn client(self: &Arc<Self>, timeout: Duration) -> reqwest::Client {
        let resolver = Arc::new(GuardedResolver { guard: Arc::clone(self) });
        let guard = Arc::clone(self);
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(GuardRefusal::BadUrl(format!("more than {MAX_REDIRECTS} redirects")));
            }
            match guard.vet_literal(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        reqwest::Client::builder()
            .dns_resolver(resolver)
            .redirect(redirects)
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .expect("a rustls client with a custom resolver always builds")
    }
}

/// The guard's refusal inside a reqwest error (connect or redirect), if that is why the call failed.
pub fn refusal_of(err: &reqwest::Error) -> Option<GuardRefusal> {
    let mut source: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(current) = source {
        if let Some(refusal) = current.downcast_ref::<GuardRefusal>() {
            return Some(refusal.clone());
        }
        source = current.source();
    }
    None
}

/// Resolves with the system resolver, then keeps only vetted addresses.
struct GuardedResolver {
    guard: Arc<DialGuard>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = Arc::clone(&self.guard);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(GuardRefusal::Unresolvable { host: host.clone() }) as Box<dyn StdError + Send + Sync>)?
                .collect();
            let Some(first) = resolved.first().copied() else {
                return Err(Box::new(GuardRefusal::Unresolvable { host }) as Box<dyn StdError + Send + Sync>);
            };
            let vetted: Vec<SocketAddr> = resolved.into_iter().filter(|addr| !guard.refuses(addr.ip())).collect();
            if vetted.is_empty() {
                return Err(Box::new(GuardRefusal::Private(first.ip())) as Box<dyn StdError + Send + Sync>);
            }
            let addrs: Addrs = Box::new(vetted.into_iter());
            Ok(addrs)
        })
    }
}

/// The decided list of §5.11, IPv4-mapped IPv6 forms included.
pub fn is_private_or_metadata(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_refused(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_refused(v4),
            None => v6_refused(v6),
        },
    }
}

fn v4_refused(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()                                  // 127.0.0.0/8
        || a == 0                                     // 0.0.0.0/8
        || ip.is_private()                            // 10/8, 172.16/12, 192.168/16
        || (a == 100 && (64..128).contains(&b))       // 100.64.0.0/10 (carrier-grade NAT)
        || ip.is_link_local()                         // 169.254.0.0/16 (cloud metadata)
        || ip.is_multicast()
        || ip == Ipv4Addr::new(168, 63, 129, 16) // Azure's wire server
}

fn v6_refused(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xffc0) == 0xfe80 // fe80::/10
        || (first & 0xfe00) == 0xfc00 // fc00::/7
        || ip.is_multicast()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn refuses_the_decided_list_and_its_ipv4_mapped_forms() {
        let guard = DialGuard::default();
        for refused in [
            "127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "0.1.2.3", "::", "10.1.2.3", "172.16.0.1", "172.31.255.255",
            "192.168.1.1", "100.64.0.1", "100.127.255.255", "169.254.169.254", "fe80::1", "fc00::1", "fd12::1",
            "224.0.0.1", "ff02::1", "168.63.129.16", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
        ] {
            assert!(guard.refuses(ip(refused)), "{refused} must be refused");
        }
        for public in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "1.1.1.1"] {
            assert!(!guard.refuses(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn allow_private_destinations_opens_only_the_listed_ranges() {
        let guard = DialGuard::new(&["10.0.0.0/8".into(), "192.168.1.5".into(), "not-a-cidr".into()]);
        assert!(!guard.refuses(ip("10.9.9.9")));
        assert!(!guard.refuses(ip("192.168.1.5")));
        assert!(guard.refuses(ip("192.168.1.6")));
        assert!(guard.refuses(ip("127.0.0.1")));
    }

    #[test]
    fn literal_urls_are_vetted_without_resolving() {
        let guard = DialGuard::default();
        let refused = guard.vet_literal(&Url::parse("http://169.254.169.254/latest/meta-data").expect("test URL"));
        assert_eq!(refused, Err(GuardRefusal::Private(ip("169.254.169.254"))));
        assert_eq!(refused.unwrap_err().to_string(), "dial guard: 169.254.169.254 is a private or metadata address");
        assert!(guard.vet_literal(&Url::parse("http://[::ffff:7f00:1]/").expect("test URL")).is_err());
        assert!(guard.vet_literal(&Url::parse("ftp://example.com/").expect("test URL")).is_err());
        assert!(guard.vet_literal(&Url::parse("https://example.com/hook").expect("test URL")).is_ok());
    }

    #[tokio::test]
    async fn a_hostname_resolving_to_loopback_is_refused_at_save_time() {
        let guard = DialGuard::default();
        let refusal = guard.vet_url("https://localhost:8443/hook").await.expect_err("localhost is loopback");
        assert!(matches!(refusal, GuardRefusal::Private(addr) if addr.is_loopback()), "{refusal:?}");
        assert!(DialGuard::new(&["127.0.0.0/8".into(), "::1/128".into()]).vet_url("http://localhost:1/").await.is_ok());
    }

    #[tokio::test]
    async fn the_guarded_client_never_connects_to_a_refused_address() {
        // A listener on loopback: the guarded client must fail before connecting, with the guard's reason.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let client = Arc::new(DialGuard::default()).client(Duration::from_secs(2));
        let err = client.get(format!("http://localhost:{port}/")).send().await.expect_err("refused");
        assert!(matches!(refusal_of(&err), Some(GuardRefusal::Private(_))), "{err:?}");
        // Allowing loopback lets the same call through to the listener.
        let open = Arc::new(DialGuard::new(&["127.0.0.0/8".into(), "::1/128".into()])).client(Duration::from_secs(2));
        let accept = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
        let _ = open.get(format!("http://localhost:{port}/")).timeout(Duration::from_millis(300)).send().await;
        assert!(accept.await.expect("join").is_ok(), "the allowed call reached the listener");
    }
}

//! Egress scope of `egress`-stage rules (SPEC §5.11): hostname, `*.suffix`, IP and CIDR entries.
//!
//! Never resolves names: the adapter passes resolved IPs in `Destination::ips`. A host that is
//! itself an IP literal counts as one of the destination's IPs. Start at `EgressScope::compile`.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::engine::firewall::cidr::Cidr;
use crate::engine::firewall::config::{EgressConfig, RuleVerdict};

/// Maximum entries per egress list (SPEC §9.4).
pub const MAX_EGRESS_ENTRIES: usize = 256;

/// The destination a dispatch dials (SPEC §5.11); only used on the `egress` surface.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// Hostname as reported (never resolved by the engine).
    #[serde(default)]
    pub host: Option<String>,
    /// IPs the adapter resolved or was given.
    #[serde(default)]
    pub ips: Vec<IpAddr>,
    /// Port, informational.
    #[serde(default)]
    pub port: Option<u16>,
}

impl Destination {
    /// Whether nothing was reported (then egress rules do not match).
    pub fn is_empty(&self) -> bool {
        self.host.as_deref().is_none_or(str::is_empty) && self.ips.is_empty()
    }

    /// `host`, else the first IP: the name used in `egress to <host or ip> denied`.
    pub fn display_name(&self) -> Option<String> {
        match self.host.as_deref() {
            Some(host) if !host.is_empty() => Some(host.to_string()),
            _ => self.ips.first().map(IpAddr::to_string),
        }
    }

    /// Reported IPs plus the host when it is an IP literal (bracketed IPv6 accepted).
    fn all_ips(&self) -> Vec<IpAddr> {
        let mut ips = self.ips.clone();
        if let Some(host) = self.host.as_deref() {
            let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
            if let Ok(ip) = bare.parse::<IpAddr>() {
                ips.push(ip);
            }
        }
        ips
    }
}

/// One parsed list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// Exact hostname, lower-cased, trailing dot trimmed.
    Host(String),
    /// `*.suffix`: stores `.suffix` lower-cased; any subdomain, not the apex.
    Subdomains(String),
    /// IP literal or CIDR.
    Net(Cidr),
}

/// Parses one entry, or explains why it is invalid.
fn parse_entry(text: &str) -> Result<Entry, String> {
    if let Some(cidr) = Cidr::parse(text) {
        return Ok(Entry::Net(cidr));
    }
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("entry must be a hostname, *.domain, IP address or CIDR without whitespace".to_string());
    }
    if text.contains('/') {
        return Err(format!("invalid CIDR: {text:?}"));
    }
    let lower = text.to_ascii_lowercase();
    if let Some(suffix) = lower.strip_prefix("*.") {
        let suffix = suffix.trim_end_matches('.');
        if suffix.is_empty() || suffix.contains('*') {
            return Err(format!("invalid wildcard entry: {text:?}"));
        }
        return Ok(Entry::Subdomains(format!(".{suffix}")));
    }
    if lower.contains('*') {
        return Err("only a leading `*.` wildcard is allowed".to_string());
    }
    Ok(Entry::Host(lower.trim_end_matches('.').to_string()))
}

/// A compiled egress list.
#[derive(Clone, Debug, Default)]
struct EntryList {
    hosts: Vec<Entry>,
    nets: Vec<Cidr>,
}

impl EntryList {
    fn compile(entries: &[String]) -> Result<EntryList, (usize, String)> {
        let mut list = EntryList::default();
        for (idx, text) in entries.iter().enumerate() {
            match parse_entry(text).map_err(|message| (idx, message))? {
                Entry::Net(cidr) => list.nets.push(cidr),
                other => list.hosts.push(other),
            }
        }
        Ok(list)
    }

    fn host_matches(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return false };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        !host.is_empty()
            && self.hosts.iter().any(|entry| match entry {
                Entry::Host(name) => *name == host,
                Entry::Subdomains(suffix) => host.len() > suffix.len() && host.ends_with(suffix.as_str()),
                Entry::Net(_) => false,
            })
    }

    fn net_contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }

    /// Deny-side membership: the host matches, or **any** IP is inside.
    fn contains_any(&self, destination: &Destination, ips: &[IpAddr]) -> bool {
        self.host_matches(destination.host.as_deref()) || ips.iter().any(|ip| self.net_contains(*ip))
    }

    /// Allow-side membership: the host matches, or there are IPs and **all** are inside.
    fn contains_all(&self, destination: &Destination, ips: &[IpAddr]) -> bool {
        self.host_matches(destination.host.as_deref())
            || (!ips.is_empty() && ips.iter().all(|ip| self.net_contains(*ip)))
    }
}

/// Which list failed to compile, with the entry index and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressError {
    /// `deny` or `allow`.
    pub list: &'static str,
    /// Index of the entry in that list.
    pub index: usize,
    /// Lowercase message.
    pub message: String,
}

/// The compiled scope of one egress rule.
#[derive(Clone, Debug)]
pub struct EgressScope {
    allow_rule: bool,
    deny: EntryList,
    allow: EntryList,
}

impl EgressScope {
    /// Compiles both lists for a rule with `verdict`.
    pub fn compile(config: &EgressConfig, verdict: RuleVerdict) -> Result<EgressScope, EgressError> {
        let deny = EntryList::compile(&config.deny).map_err(|(index, message)| EgressError { list: "deny", index, message })?;
        let allow =
            EntryList::compile(&config.allow).map_err(|(index, message)| EgressError { list: "allow", index, message })?;
        Ok(EgressScope { allow_rule: verdict == RuleVerdict::Allow, deny, allow })
    }

    /// Whether `destination` is in this rule's scope; no destination → false.
    pub fn in_scope(&self, destination: Option<&Destination>) -> bool {
        let Some(destination) = destination.filter(|d| !d.is_empty()) else {
            return false;
        };
        let ips = destination.all_ips();
        if self.allow_rule {
            self.allow.contains_all(destination, &ips)
        } else {
            self.deny.contains_any(destination, &ips) && !self.allow.contains_all(destination, &ips)
        }
    }
}

/// Validates one entry (used by save-time validation).
pub fn check_entry(text: &str) -> Result<(), String> {
    parse_entry(text).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(host: Option<&str>, ips: &[&str]) -> Destination {
        Destination {
            host: host.map(str::to_string),
            ips: ips.iter().map(|ip| ip.parse().expect("test ip")).collect(),
            port: None,
        }
    }

    fn scope(deny: &[&str], allow: &[&str], verdict: RuleVerdict) -> EgressScope {
        let config = EgressConfig {
            deny: deny.iter().map(|s| s.to_string()).collect(),
            allow: allow.iter().map(|s| s.to_string()).collect(),
        };
        EgressScope::compile(&config, verdict).expect("valid scope")
    }

    #[test]
    fn deny_scope_is_deny_list_minus_allow_exceptions() {
        let rule = scope(&["10.0.0.0/8", "*.internal", "Metadata.Google.Internal."], &["10.1.0.0/16", "ok.internal"], RuleVerdict::Deny);
        let cases = [
            (dest(Some("api.github.com"), &["140.82.1.1"]), false),
            (dest(None, &["10.2.3.4"]), true),
            (dest(None, &["140.82.1.1", "10.2.3.4"]), true),
            (dest(None, &["10.1.2.3"]), false),
            (dest(None, &["10.1.2.3", "10.2.0.1"]), true),
            (dest(Some("db.internal"), &[]), true),
            (dest(Some("internal"), &[]), false),
            (dest(Some("ok.internal"), &[]), false),
            (dest(Some("METADATA.google.internal."), &[]), true),
            (dest(Some("10.9.9.9"), &[]), true),
            (dest(Some("[::ffff:10.0.0.1]"), &[]), true),
            (dest(None, &[]), false),
        ];
        for (destination, expected) in cases {
            assert_eq!(rule.in_scope(Some(&destination)), expected, "{destination:?}");
        }
        assert!(!rule.in_scope(None));
    }

    #[test]
    fn allow_scope_by_ip_requires_all_ips_inside() {
        let rule = scope(&[], &["192.168.0.0/16", "api.example.com"], RuleVerdict::Allow);
        assert!(rule.in_scope(Some(&dest(None, &["192.168.1.1", "192.168.2.2"]))));
        assert!(!rule.in_scope(Some(&dest(None, &["192.168.1.1", "8.8.8.8"]))));
        assert!(rule.in_scope(Some(&dest(Some("API.example.com"), &["8.8.8.8"]))));
    }

    #[test]
    fn invalid_entries_are_reported() {
        for bad in ["", "a b", "10.0.0.0/40", "*.", "a.*.b", "*", "foo*"] {
            assert!(check_entry(bad).is_err(), "{bad:?}");
        }
        for good in ["example.com", "*.example.com", "::1", "fc00::/7", "metadata.google.internal"] {
            assert!(check_entry(good).is_ok(), "{good:?}");
        }
    }
}

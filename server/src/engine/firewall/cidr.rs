//! IP literals and CIDR blocks for `in_cidr` clauses and egress lists (SPEC §5.4, §5.11).
//!
//! Parsing only, with `std::net`; must never resolve a hostname. IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`) are compared as their IPv4 form so they cannot slip past a v4 block.
//! Start at `Cidr::parse` and `ip_of_target`.

use std::net::{IpAddr, Ipv6Addr};

/// An IP network: address plus prefix length (an IP literal is a full-length prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 literal or `v6/n`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            // Why the digit check: `u8::from_str` accepts a leading `+`, which is not CIDR syntax.
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|n| *n <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    /// Whether `ip` lies inside this block (IPv4-mapped IPv6 compared as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask_u32(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask_u128(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn mask_u32(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

fn mask_u128(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    }
}

/// IPv4-mapped IPv6 → IPv4; everything else unchanged.
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The IP named by an `in_cidr` target: an IP literal, `host:port`, `[v6]` / `[v6]:port`, or a
/// URL whose host is an IP literal. Hostnames give `None` (never resolved).
pub fn ip_of_target(target: &str) -> Option<IpAddr> {
    let target = target.trim();
    if let Ok(ip) = target.parse::<IpAddr>() {
        return Some(ip);
    }
    let authority = match target.split_once("://") {
        Some((_, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            // Userinfo (`user:pass@host`) is not part of the host.
            authority.rsplit_once('@').map_or(authority, |(_, host)| host)
        }
        None => target,
    };
    ip_of_authority(authority)
}

/// `1.2.3.4`, `1.2.3.4:80`, `[v6]`, `[v6]:443`, or a bare IPv6 literal.
fn ip_of_authority(authority: &str) -> Option<IpAddr> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || is_port_suffix(after)) {
            return None;
        }
        return inside.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(ip) = authority.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = authority.rsplit_once(':')?;
    if !is_port_suffix(&format!(":{port}")) {
        return None;
    }
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port_suffix(text: &str) -> bool {
    text.strip_prefix(':')
        .is_some_and(|port| !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test ip")
    }

    #[test]
    fn cidr_parse_accepts_literals_and_blocks_only() {
        for good in ["10.0.0.0/8", "::1", "fe80::/10", "1.2.3.4", "0.0.0.0/0", "::/0"] {
            assert!(Cidr::parse(good).is_some(), "{good}");
        }
        for bad in ["10.0.0.0/33", "::/129", "example.com", "10.0.0.0/", "10.0.0.0/+8", "", "1.2.3/8", "*.x"] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn containment_respects_prefix_and_family() {
        let cases = [
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("172.16.0.0/12", "172.31.255.255", true),
            ("172.16.0.0/12", "172.32.0.0", false),
            ("::1", "::1", true),
            ("fc00::/7", "fd12::1", true),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.0.0.0/8", "fe80::1", false),
            ("0.0.0.0/0", "8.8.8.8", true),
        ];
        for (block, addr, expected) in cases {
            let cidr = Cidr::parse(block).expect("valid block");
            assert_eq!(cidr.contains(ip(addr)), expected, "{block} ∋ {addr}");
        }
    }

    #[test]
    fn targets_yield_their_ip_and_hostnames_never_do() {
        let cases = [
            ("10.1.2.3", Some("10.1.2.3")),
            ("10.1.2.3:8080", Some("10.1.2.3")),
            ("[::1]:443", Some("::1")),
            ("[::1]", Some("::1")),
            ("http://169.254.169.254/latest/meta-data", Some("169.254.169.254")),
            ("https://user:pw@10.0.0.5:8443/x?y", Some("10.0.0.5")),
            ("http://[fd00::1]:80/", Some("fd00::1")),
            ("fe80::1", Some("fe80::1")),
            ("http://metadata.google.internal/", None),
            ("localhost:80", None),
            ("10.1.2.3:port", None),
            ("", None),
        ];
        for (target, expected) in cases {
            assert_eq!(ip_of_target(target), expected.map(ip), "{target}");
        }
    }
}

//! The 23 built-in `pii` entities (SPEC §4.5, DETECTION §2–§3): names, families, tags, and `detect`.
//!
//! Owns entity identity and the within-family overlap resolution; the per-entity matchers live in the
//! submodules. Pure and panic-free. `PiiFinding` offsets are BYTE offsets into the scanned text; the
//! finding layer (`fold`, `cli::scan`) converts them to code points. Start reading at `detect`.
mod ids;
mod password;
mod patterns;
mod personal;
mod scan;
mod secrets;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::guardrail::text::Stripped;

pub use crate::engine::guardrail::pii::patterns::CivilDate;

/// A built-in entity of `pii` rules, in the order of DETECTION §0 (the order breaks overlap ties).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Email,
    Phone,
    Ssn,
    CreditCard,
    Iban,
    Ip,
    MacAddress,
    BitcoinAddress,
    JpMynumber,
    KrRrn,
    CnResidentId,
    AwsAccessKey,
    AwsSecretKey,
    GithubToken,
    SlackToken,
    StripeKey,
    ApiKeyOpenai,
    AnthropicKey,
    GoogleApiKey,
    PrivateKey,
    Jwt,
    GenericPassword,
    DbConnectionString,
}

/// The family of an entity; overlaps are resolved only within one family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Personal data (`email` … `cn_resident_id`).
    Personal,
    /// Credentials (`aws_access_key` … `db_connection_string`).
    Secret,
}

impl Entity {
    /// Every entity, in DETECTION §0 order.
    pub const ALL: [Entity; 23] = [
        Entity::Email,
        Entity::Phone,
        Entity::Ssn,
        Entity::CreditCard,
        Entity::Iban,
        Entity::Ip,
        Entity::MacAddress,
        Entity::BitcoinAddress,
        Entity::JpMynumber,
        Entity::KrRrn,
        Entity::CnResidentId,
        Entity::AwsAccessKey,
        Entity::AwsSecretKey,
        Entity::GithubToken,
        Entity::SlackToken,
        Entity::StripeKey,
        Entity::ApiKeyOpenai,
        Entity::AnthropicKey,
        Entity::GoogleApiKey,
        Entity::PrivateKey,
        Entity::Jwt,
        Entity::GenericPassword,
        Entity::DbConnectionString,
    ];

    /// The SPEC name (`email`, `api_key_openai`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Entity::Email => "email",
            Entity::Phone => "phone",
            Entity::Ssn => "ssn",
            Entity::CreditCard => "credit_card",
            Entity::Iban => "iban",
            Entity::Ip => "ip",
            Entity::MacAddress => "mac_address",
            Entity::BitcoinAddress => "bitcoin_address",
            Entity::JpMynumber => "jp_mynumber",
            Entity::KrRrn => "kr_rrn",
            Entity::CnResidentId => "cn_resident_id",
            Entity::AwsAccessKey => "aws_access_key",
            Entity::AwsSecretKey => "aws_secret_key",
            Entity::GithubToken => "github_token",
            Entity::SlackToken => "slack_token",
            Entity::StripeKey => "stripe_key",
            Entity::ApiKeyOpenai => "api_key_openai",
            Entity::AnthropicKey => "anthropic_key",
            Entity::GoogleApiKey => "google_api_key",
            Entity::PrivateKey => "private_key",
            Entity::Jwt => "jwt",
            Entity::GenericPassword => "generic_password",
            Entity::DbConnectionString => "db_connection_string",
        }
    }

    /// Parses a SPEC name; `None` for anything else (including custom entity names).
    pub fn parse(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The entity's family.
    pub fn family(&self) -> Family {
        if (*self as usize) <= (Entity::CnResidentId as usize) {
            Family::Personal
        } else {
            Family::Secret
        }
    }

    /// The default mask tag without brackets (`EMAIL`, `API_KEY_OPENAI`, …).
    pub fn tag(&self) -> String {
        self.name().to_ascii_uppercase()
    }

    /// The secret entities (the "12 secret entities" of the presets).
    pub fn secrets() -> Vec<Entity> {
        Entity::ALL.into_iter().filter(|e| e.family() == Family::Secret).collect()
    }
}

/// One validated occurrence of an entity. `start`/`end` are BYTE offsets into the scanned text (end
/// exclusive, on char boundaries); convert with `text::byte_to_cp` for the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiiFinding {
    /// The entity found.
    pub entity: Entity,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset after the last byte.
    pub end: usize,
}

/// Finds the selected entities in `text`, after the overlap resolution of SPEC §4.5, sorted by start.
///
/// Uses `CivilDate::LATEST` as "today" for `cn_resident_id` birth dates; callers that know the date
/// should use `detect_on`.
pub fn detect(text: &str, entities: &[Entity]) -> Vec<PiiFinding> {
    detect_on(text, entities, CivilDate::LATEST)
}

/// Like `detect`, with the current date (for the `cn_resident_id` "not in the future" check).
pub fn detect_on(text: &str, entities: &[Entity], today: CivilDate) -> Vec<PiiFinding> {
    detect_mode(text, entities, today, false)
}

/// `detect_on` with the choice of trigger searches: `reference` uses the straightforward ones that the
/// fast ones must agree with (the property tests compare both).
pub(crate) fn detect_mode(text: &str, entities: &[Entity], today: CivilDate, reference: bool) -> Vec<PiiFinding> {
    let raw = match Stripped::new(text) {
        // Zero-width characters are ignored while matching and kept inside the span (DETECTION §1.5).
        Some(stripped) => {
            let mut found = candidates(&stripped.text, entities, today, reference);
            for f in &mut found {
                let (s, e) = stripped.map_span(f.start, f.end);
                f.start = s;
                f.end = e;
            }
            found
        }
        None => candidates(text, entities, today, reference),
    };
    resolve_overlaps(raw)
}

fn candidates(text: &str, entities: &[Entity], today: CivilDate, reference: bool) -> Vec<PiiFinding> {
    let p = patterns::get();
    let scan = scan::Scan::with_mode(text, today, reference);
    let mut out = Vec::new();
    for &entity in dedup(entities).iter() {
        let before = out.len();
        match entity {
            Entity::Email => personal::email(p, &scan, &mut out),
            Entity::Phone => personal::phone(p, &scan, &mut out),
            Entity::Ssn => personal::ssn(p, &scan, &mut out),
            Entity::CreditCard => personal::credit_card(p, &scan, &mut out),
            Entity::Iban => personal::iban(p, &scan, &mut out),
            Entity::Ip => personal::ip(p, &scan, &mut out),
            Entity::MacAddress => personal::mac(p, &scan, &mut out),
            Entity::BitcoinAddress => ids::bitcoin(p, &scan, &mut out),
            Entity::JpMynumber => ids::jp_mynumber(p, &scan, &mut out),
            Entity::KrRrn => ids::kr_rrn(p, &scan, &mut out),
            Entity::CnResidentId => ids::cn_resident_id(p, &scan, &mut out),
            Entity::AwsSecretKey => secrets::aws_secret_key(p, &scan, &mut out),
            Entity::PrivateKey => secrets::private_key(p, &scan, &mut out),
            Entity::Jwt => secrets::jwt(p, &scan, &mut out),
            Entity::GenericPassword => password::generic_password(p, &scan, &mut out),
            Entity::DbConnectionString => password::db_connection_string(p, &scan, &mut out),
            token => secrets::token(p, &scan, token, &mut out),
        }
        // INVARIANT: every matcher reports spans on char boundaries of `text`.
        let mut k = before;
        while k < out.len() {
            let f = out[k];
            if f.start < f.end && text.is_char_boundary(f.start) && text.is_char_boundary(f.end) {
                out[k].entity = entity;
                k += 1;
            } else {
                out.swap_remove(k);
            }
        }
    }
    out
}

fn dedup(entities: &[Entity]) -> Vec<Entity> {
    let mut v = entities.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Overlap resolution of SPEC §4.5: within a family, a specific secret beats `generic_password`; then
/// the longer span; then the entity listed first; then the earlier start. Families never interact.
pub fn resolve_overlaps(mut found: Vec<PiiFinding>) -> Vec<PiiFinding> {
    found.sort_by_key(|f| (f.start, f.end, f.entity));
    found.dedup();
    let rank = |f: &PiiFinding| {
        let generic = f.entity == Entity::GenericPassword;
        (generic, std::cmp::Reverse(f.end - f.start), f.entity, f.start)
    };
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&i| rank(&found[i]));
    let mut kept: Vec<PiiFinding> = Vec::with_capacity(found.len());
    if found.iter().all(|f| f.start < f.end) {
        // The kept spans of one family are disjoint, so among them only the last one starting before
        // `f.end` can overlap `f`: a map lookup instead of a scan of every kept span (texts with
        // thousands of findings would otherwise be quadratic).
        let mut spans: [BTreeMap<usize, usize>; 2] = [BTreeMap::new(), BTreeMap::new()];
        for i in order {
            let f = found[i];
            let family = &mut spans[usize::from(f.entity.family() == Family::Secret)];
            let clash = family.range(..f.end).next_back().is_some_and(|(_, &end)| f.start < end);
            if !clash {
                family.insert(f.start, f.end);
                kept.push(f);
            }
        }
    } else {
        for i in order {
            let f = found[i];
            let clash = kept.iter().any(|k| k.entity.family() == f.entity.family() && k.start < f.end && f.start < k.end);
            if !clash {
                kept.push(f);
            }
        }
    }
    kept.sort_by_key(|f| (f.start, f.end, f.entity));
    kept
}

#[cfg(test)]
mod tests;

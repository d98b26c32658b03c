//! Table tests of the 23 entities from DETECTION §2–§3 (must flag / must not flag), plus overlap rules.
use crate::engine::guardrail::pii::{detect, detect_on, CivilDate, Entity, Family};

fn found(text: &str) -> Vec<(&'static str, String)> {
    detect(text, &Entity::ALL).into_iter().map(|f| (f.entity.name(), text[f.start..f.end].to_string())).collect()
}

fn assert_flags(entity: &str, text: &str, value: &str) {
    let f = found(text);
    assert!(f.iter().any(|(e, v)| *e == entity && v == value), "{entity} should flag {value:?} in {text:?}; got {f:?}");
}

fn assert_not(entity: &str, text: &str) {
    let f = found(text);
    assert!(!f.iter().any(|(e, _)| *e == entity), "{entity} should not flag in {text:?}; got {f:?}");
}

#[test]
fn names_parse_and_families_split_eleven_and_twelve() {
    for e in Entity::ALL {
        assert_eq!(Entity::parse(e.name()), Some(e));
    }
    assert_eq!(Entity::parse("employee_id"), None);
    assert_eq!(Entity::ALL.iter().filter(|e| e.family() == Family::Personal).count(), 11);
    assert_eq!(Entity::secrets().len(), 12);
    assert_eq!(Entity::ApiKeyOpenai.tag(), "API_KEY_OPENAI");
}

#[test]
fn email_flags_mailboxes_and_skips_reserved_and_lookalikes() {
    for (text, v) in [
        ("mail jane.doe@acme-corp.io today", "jane.doe@acme-corp.io"),
        ("ci-bot@build-7.iam.cloudsvc.io", "ci-bot@build-7.iam.cloudsvc.io"),
        ("contact: josé@correo.españa.es.", "josé@correo.españa.es"),
        ("{\"email\":\"ops@firm.co.uk\"}", "ops@firm.co.uk"),
        ("https://t.co/x?to=ana@mail.de&y=1", "ana@mail.de"),
        ("a\u{00A0}bob@corp.dev\u{3000}", "bob@corp.dev"),
    ] {
        assert_flags("email", text, v);
    }
    for text in [
        "me@example.com", "x@sub.example.org", "a@b.test", "root@localhost", "a@host", "git@bitbucket.org:team/app.git",
        "ssh deploy@build01.corp.internal", "react@18.3.1", "@types/node@20.11.30", "@Deprecated", "@font-face",
        "avatar@2x.jpg", "redis@sha256:abc", "postgres://user:pa@ss@db.corp.io/x", "name [at] domain.com",
    ] {
        assert_not("email", text);
    }
}

#[test]
fn phone_flags_international_nanp_and_keyword_runs() {
    for (text, v) in [
        ("call +44 20 7946 0958 now", "+44 20 7946 0958"),
        ("(415) 867-5309 ext. 12", "(415) 867-5309"),
        ("tel: 4158675309", "4158675309"),
        ("Phone 1-415-867-5309.", "1-415-867-5309"),
        ("+49\u{00A0}30\u{00A0}901820", "+49\u{00A0}30\u{00A0}901820"),
    ] {
        assert_flags("phone", text, v);
    }
    for text in [
        "212-555-0123", "PO 104-332-8810", "ts 1700000000123", "2024-05-17", "ZIP 94105-1234", "v1.2.3",
        "10.0.0.1", "ISBN 978-3-16-148410-0", "$1,234,567.89",
    ] {
        assert_not("phone", text);
    }
}

#[test]
fn ssn_flags_valid_numbers_and_keyword_runs() {
    assert_flags("ssn", "SSN 219-09-9999.", "219-09-9999");
    assert_flags("ssn", "id 219 09 9999", "219 09 9999");
    assert_flags("ssn", "ssn=219099999", "219099999");
    for text in ["123-45-6789", "078-05-1120", "000-12-3456", "666-12-3456", "912-34-5678", "219-00-1234", "219-09-0000", "219-09 9999", "12-3456789", "219099999"] {
        assert_not("ssn", text);
    }
}

#[test]
fn credit_card_needs_luhn_network_and_consistent_grouping() {
    assert_flags("credit_card", "card 4539 1488 0343 6004 exp", "4539 1488 0343 6004");
    assert_flags("credit_card", "4539148803436004", "4539148803436004");
    assert_flags("credit_card", "mc 5425-2334-3010-9002", "5425-2334-3010-9002");
    assert_flags("credit_card", "amex 3714 496353 90008", "3714 496353 90008");
    for text in ["4539 1488 0343 6005", "4539 1488-0343 6004", "4111 1111 1111 1111", "4242424242424242", "**** **** **** 1234", "5412 XXXX XXXX 0097", "94539148803436004"] {
        assert_not("credit_card", text);
    }
}

#[test]
fn iban_checks_length_and_mod97() {
    assert_flags("iban", "IBAN DE62370400440532013001", "DE62370400440532013001");
    assert_flags("iban", "FR14 2004 1010 0505 0001 3M02 606 BIC", "FR14 2004 1010 0505 0001 3M02 606");
    assert_flags("iban", "NL91ABNA0417164300.", "NL91ABNA0417164300");
    for text in ["DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "DE63370400440532013001", "DEUTDEFF500", "XX62370400440532013001"] {
        assert_not("iban", text);
    }
}

#[test]
fn ip_flags_v4_and_v6_but_not_reserved_versions_or_oids() {
    for (text, v) in [
        ("host 10.0.0.5:8080", "10.0.0.5"),
        ("metadata 169.254.169.254.", "169.254.169.254"),
        ("postgres://u:p@172.16.4.2/db", "172.16.4.2"),
        ("[fe80::1ff:fe23:4567:890a%eth0]", "fe80::1ff:fe23:4567:890a"),
        ("v6 2600:1f18::7/64", "2600:1f18::7"),
        ("mapped ::ffff:10.1.2.3 ok", "::ffff:10.1.2.3"),
    ] {
        assert_flags("ip", text, v);
    }
    for text in [
        "127.0.0.1", "0.0.0.0", "192.0.2.4", "198.51.100.7", "203.0.113.9", "::1", "2001:db8::5", "255.255.255.0",
        "release 2.1.0.7", "1.2.840.113549.1.1.11", "300.1.2.3", "std::vector", "a[::3]", "10:15:00", "2:3:4",
        "aa:bb:cc:dd:ee:ff",
    ] {
        assert_not("ip", text);
    }
}

#[test]
fn mac_bitcoin_and_national_ids() {
    assert_flags("mac_address", "eth0 00:1A:2b:3C:4d:5E up", "00:1A:2b:3C:4d:5E");
    assert_flags("mac_address", "aa-bb-cc-dd-ee-ff", "aa-bb-cc-dd-ee-ff");
    assert_flags("mac_address", "0011.2233.4455", "0011.2233.4455");
    assert_not("mac_address", "fe80::1ff:fe23:4567:890a");
    assert_not("mac_address", "001a2b3c4d5e");
    assert_flags("bitcoin_address", "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2.", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
    assert_flags("bitcoin_address", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
    assert_flags("bitcoin_address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
    assert_not("bitcoin_address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3");
    assert_not("bitcoin_address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx");
    assert_not("bitcoin_address", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx");
    assert_flags("jp_mynumber", "My Number 1234 5678 9018", "1234 5678 9018");
    assert_flags("jp_mynumber", "123456789018", "123456789018");
    assert_not("jp_mynumber", "123456789017");
    assert_flags("kr_rrn", "RRN 900101-1234567", "900101-1234567");
    assert_not("kr_rrn", "901301-1234567");
    assert_not("kr_rrn", "900101-9234567");
    assert_flags("cn_resident_id", "身份证 11010519491231002X。", "11010519491231002X");
    assert_not("cn_resident_id", "110105194912310021");
    let future = "440301203001011233";
    assert!(detect_on(future, &[Entity::CnResidentId], CivilDate { year: 2026, month: 11, day: 23 }).is_empty());
}

const GH: &str = "ghp_R7a2kQ9xL4mN8pT3vW6yZ1bC5dF0gH2jK4lM";
const OPENAI: &str = "sk-proj-4fT9kL2mQ8xR7vB3nW6yH1cJ5dZ0pA9sE2gK";

#[test]
fn token_shaped_secrets() {
    assert_flags("aws_access_key", "id=AKIAZ3MPLE7QW2RT4Y6U;", "AKIAZ3MPLE7QW2RT4Y6U");
    assert_not("aws_access_key", "AKIAIOSFODNN7EXAMPLE");
    assert_not("aws_access_key", "AIDAZ3MPLE7QW2RT4Y6U");
    assert_flags("github_token", &format!("token: {GH}"), GH);
    assert_not("github_token", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_not("github_token", &format!("{GH}ab"));
    assert_flags("slack_token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx");
    assert_not("slack_token", "xoxb-12-34");
    assert_flags("stripe_key", "STRIPE_SECRET_KEY=sk_live_51HqLyjWDarjtT1zdp7dcXyZw", "sk_live_51HqLyjWDarjtT1zdp7dcXyZw");
    assert_not("stripe_key", "sk_test_51HqLyjWDarjtT1zdp7dcXyZw pk_live_51HqLyjWDarjtT1zdp7dcXyZw");
    assert_flags("api_key_openai", &format!("\"{OPENAI}\""), OPENAI);
    assert_not("api_key_openai", "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_not("api_key_openai", "sk-short123");
    let ant = format!("sk-ant-api03-{}", "aB3_dE5-gH7jK9mN1pQ3sT5vW7yZ9bD1fG3hJ5kL7nP9rS1tU3wX5zA7cE9gI1kM3oQ5sU7wY9aC1eG3iK5mO7qS9u");
    assert_flags("anthropic_key", &ant, &ant);
    assert!(!found(&ant).iter().any(|(e, _)| *e == "api_key_openai"));
    assert_flags("google_api_key", "apiKey: \"AIzaSyD3hF9kL2mQ8xR7vB3nW6yH1cJ5dZ0pA9s\"", "AIzaSyD3hF9kL2mQ8xR7vB3nW6yH1cJ5dZ0pA9s");
}

#[test]
fn aws_secret_needs_context() {
    let secret = "kY7pQ2wErT9uIo3pAsDfGhJkL1zXcVbNm4QwE5rT";
    assert_flags("aws_secret_key", &format!("aws_secret_access_key = {secret}"), secret);
    assert_flags("aws_secret_key", &format!("AKIAZ3MPLE7QW2RT4Y6U,{secret}"), secret);
    assert_not("aws_secret_key", &format!("commit {secret}"));
    assert_not("aws_secret_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_not("aws_secret_key", "aws secret 3f786850e387550fdab836ed7e6dc881de23001b");
}

#[test]
fn private_keys_and_jwts() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----");
    assert_flags("private_key", &format!("key:\n{pem}\n"), &pem);
    let json = format!("{{\"k\":\"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n-----END RSA PRIVATE KEY-----\"}}");
    assert_eq!(found(&json).iter().filter(|(e, _)| *e == "private_key").count(), 1);
    assert_not("private_key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----");
    assert_not("private_key", "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----");
    assert_not("private_key", "starts with -----BEGIN OPENSSH PRIVATE KEY----- usually");
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assert_flags("jwt", &format!("Authorization: Bearer {jwt}"), jwt);
    assert_not("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.");
    assert_not("jwt", "eyJub3RoaW5nIjoxfQ.eyJzdWIiOiIxIn0.abc");
}

#[test]
fn generic_password_in_many_syntaxes() {
    for (text, v) in [
        ("DB_PASSWORD=hunter22", "hunter22"),
        ("\"password\": \"S3cr3t!x\"", "S3cr3t!x"),
        ("redis_pass: 'tr0ub4dor'", "tr0ub4dor"),
        ("<password>p@ssw0rd9</password>", "p@ssw0rd9"),
        ("mysql --password=Zx9!kq2w db", "Zx9!kq2w"),
        ("mysql -u root -p'Zx9!kq2w' db", "Zx9!kq2w"),
        ("PGPASSWORD=Zx9kq2w psql -h db", "Zx9kq2w"),
        ("the password is Blue42fish.", "Blue42fish"),
        ("密码是 abc123xyz", "abc123xyz"),
        ("adminPwd = \"Sup3rS3cret\"", "Sup3rS3cret"),
        ("password: cGFzc3dvcmQxMjM=", "cGFzc3dvcmQxMjM="),
    ] {
        assert_flags("generic_password", text, v);
    }
    for text in [
        "password_hash = 'abcdef123'", "PasswordPolicy: strict1", "bypass = abcdefgh", "<input type=\"password\" name=\"password\">",
        "input(\"Enter password: \")", "password = os.environ['DB_PASS']", "password: ${DB_PASSWORD}", "password: changeme",
        "password=******", "token = abcdef123456", "password = config.db_password", "password: str",
        "the password is required",
    ] {
        assert_not("generic_password", text);
    }
}

#[test]
fn connection_strings_need_a_literal_password() {
    for (text, v) in [
        ("DATABASE_URL=postgres://app:Zx9kq2w@db.internal:5432/sales.", "postgres://app:Zx9kq2w@db.internal:5432/sales"),
        ("mongodb+srv://svc:p4ss@cluster0.mongodb.net/x", "mongodb+srv://svc:p4ss@cluster0.mongodb.net/x"),
        ("jdbc:mysql://db:3306/shop?user=a&password=Zx9kq2w", "jdbc:mysql://db:3306/shop?user=a&password=Zx9kq2w"),
        ("Server=tcp:db.corp;Database=app;User Id=sa;Password=Zx9kq2w!;", "Server=tcp:db.corp;Database=app;User Id=sa;Password=Zx9kq2w!;"),
    ] {
        assert_flags("db_connection_string", text, v);
    }
    for text in ["postgresql://reporter@pg-ro.internal/sales", "redis://cache:6379/0", "jdbc:mysql://db:3306/shop", "postgres://admin:PASSWORD@db-host/x", "mysql://<user>:<password>@h/x", "postgres://u:${DB_PASS}@h/x"] {
        assert_not("db_connection_string", text);
    }
}

#[test]
fn overlaps_keep_the_outer_secret_and_both_families() {
    let f = found("postgres://app:Zx9kq2w@10.1.2.3/db");
    assert!(f.iter().any(|(e, _)| *e == "db_connection_string"));
    assert!(f.iter().any(|(e, v)| *e == "ip" && v == "10.1.2.3"));
    assert!(!f.iter().any(|(e, _)| *e == "generic_password"));
    let f = found("STRIPE_SECRET_KEY=sk_live_51HqLyjWDarjtT1zdp7dcXyZw");
    assert_eq!(f.iter().map(|(e, _)| *e).collect::<Vec<_>>(), vec!["stripe_key"]);
    let f = found("Server=db;Password=Zx9kq2w!; and later password=Other99x");
    assert!(f.iter().any(|(e, v)| *e == "generic_password" && v == "Other99x"));
}

#[test]
fn zero_width_characters_do_not_hide_entities() {
    let text = "mail jane\u{200B}.doe@acme\u{200D}-corp.io";
    let f = detect(text, &[Entity::Email]);
    assert_eq!(f.len(), 1);
    assert_eq!(&text[f[0].start..f[0].end], "jane\u{200B}.doe@acme\u{200D}-corp.io");
    let key = format!("AKIAZ3MP\u{2060}LE7QW2RT4Y6U");
    assert_eq!(detect(&key, &[Entity::AwsAccessKey]).len(), 1);
}

#[test]
fn encoded_copies_are_not_reported() {
    assert_not("email", "jane%40acme-corp.io");
    assert_not("email", "amFuZUBhY21lLWNvcnAuaW8=");
}

/// Fragments for the fast-path property test: prose, entity-like values, keywords in odd cases,
/// the non-ASCII case folds of keyword letters (`ſ`, `K`, Cyrillic), zero-width characters.
const FRAGMENTS: &[&str] = &[
    " ", "  ", "\n", "\r\n", "\t", "the committee met ", "It's ", "café ", "“quoted” ", ", ", ". ", ": ", "=", "\"", "'",
    "jane.doe@acme-corp.io", "a@b", "@", "10.0.0.5", "2600:1f18::7", "fe80::1ff:fe23:4567:890a", "::", "a:b:", "00:1A:2b:3C:4d:5E",
    "aa-bb-cc-dd-ee-ff", "0011.2233.4455", "dead.beef.cafe", "12:34", "-", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BC1", "bc1", "abcdefghijklmnopqrstuvwxy", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
    "password", "PassWord", "pwd", "SECRET", "Passwort", "contraseña", "senha", "пароль", "ПАРОЛЬ", "пАРоль", "пар\u{1C82}ль",
    "密码", "パスワード", "-p'", "-p\"", "aws", "AWS_SECRET_ACCESS_KEY=", "akia", "Asia", "ſecret", "a\u{212A}ia", "\u{212A}",
    "AKIAZ3MPLE7QW2RT4Y6U", "kY7pQ2wErT9uIo3pAsDfGhJkL1zXcVbNm4QwE5rT", "DB_PASSWORD=hunter22", " is ", "Zx9!kq2w",
    "Server=db;Password=Zx9kq2w!;", "postgres://app:Zx9kq2w@10.1.2.3/db", "4539 1488 0343 6004", "+44 20 7946 0958",
    "219-09-9999", "DE62370400440532013001", "\u{200B}", "\u{FEFF}", "12345", "0", "9",
    "ghp_R7a2kQ9xL4mN8pT3vW6yZ1bC5dF0gH2jK4lM", "ghp_", "gh", "sk-", "sk-----BEGIN ", "sk-proj-4fT9kL2mQ8xR7vB3nW6yH1cJ5dZ0pA9sE2gK",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "sk_live_51HqLyjWDarjtT1zdp7dcXyZw", "AIzaSyD3hF9kL2mQ8xR7vB3nW6yH1cJ5dZ0pA9s",
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "eyJ", "://",
    "4539148803436004", "4539 1488 0343 6004", "123456789018", "1234 5678 9018", "900101-1234567", "11010519491231002X",
    "(415) 867-5309", "1-415-867-5309", "ssn=219099999", "tel: 4158675309", "2019", "12/03/2021", "10:30", "v1.2.3", "4.2",
    "<password>p@ssw0rd9</password>", "</", "--password=Zx9!kq2w", "--pass ", "--", " -p'Zx9!kq2w'", " -p\"Zx9kq2w\"", "密码是 abc123xyz",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    #[test]
    fn fast_trigger_paths_find_what_the_reference_paths_find(
        parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..48),
    ) {
        let text: String = parts.concat();
        let fast = crate::engine::guardrail::pii::detect_mode(&text, &Entity::ALL, CivilDate::LATEST, false);
        let reference = crate::engine::guardrail::pii::detect_mode(&text, &Entity::ALL, CivilDate::LATEST, true);
        proptest::prop_assert_eq!(fast, reference, "{:?}", text);
    }
}

#[test]
fn fast_and_reference_paths_agree_on_keyword_case_folds_and_long_tokens() {
    for text in [
        "ſecret = hunter22x", "a\u{212A}ia key", "пАРоль: abc123xyz", "пар\u{1C82}ль: abc123xyz", "PaSsWoRd=Blue42fish",
        "aws_secret_access_key = kY7pQ2wErT9uIo3pAsDfGhJkL1zXcVbNm4QwE5rT", "x 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 y",
        &"a".repeat(24), &"a".repeat(25), &"b".repeat(100), "eth0 00:1A:2b:3C:4d:5E up", "v6 2600:1f18::7/64",
    ] {
        let fast = crate::engine::guardrail::pii::detect_mode(text, &Entity::ALL, CivilDate::LATEST, false);
        let reference = crate::engine::guardrail::pii::detect_mode(text, &Entity::ALL, CivilDate::LATEST, true);
        assert_eq!(fast, reference, "{text:?}");
    }
}

/// The straightforward overlap resolution (every kept span checked), the reference of `resolve_overlaps`.
fn resolve_overlaps_reference(mut found: Vec<crate::engine::guardrail::pii::PiiFinding>) -> Vec<crate::engine::guardrail::pii::PiiFinding> {
    found.sort_by_key(|f| (f.start, f.end, f.entity));
    found.dedup();
    let rank = |f: &crate::engine::guardrail::pii::PiiFinding| (f.entity == Entity::GenericPassword, std::cmp::Reverse(f.end - f.start), f.entity, f.start);
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&i| rank(&found[i]));
    let mut kept: Vec<crate::engine::guardrail::pii::PiiFinding> = Vec::new();
    for i in order {
        let f = found[i];
        if !kept.iter().any(|k| k.entity.family() == f.entity.family() && k.start < f.end && f.start < k.end) {
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| (f.start, f.end, f.entity));
    kept
}

proptest::proptest! {
    #[test]
    fn overlap_resolution_matches_the_reference(
        raw in proptest::collection::vec((0usize..23, 0usize..60, 0usize..12), 0..40),
        empty_spans in proptest::bool::ANY,
    ) {
        // Without empty spans the map-based path runs; with them, the fallback.
        let raw: Vec<(usize, usize, usize)> = raw.into_iter().map(|(e, s, l)| (e, s, if empty_spans { l } else { l.max(1) })).collect();
        let found: Vec<crate::engine::guardrail::pii::PiiFinding> = raw
            .into_iter()
            .map(|(e, start, len)| crate::engine::guardrail::pii::PiiFinding { entity: Entity::ALL[e], start, end: start + len })
            .collect();
        let fast = crate::engine::guardrail::pii::resolve_overlaps(found.clone());
        proptest::prop_assert_eq!(fast, resolve_overlaps_reference(found));
    }
}

//! Widgets shared by the feed pages (Events, Runs, Matches, Discovered): verdict and action chips, the
//! live-refresh ticker with its toggle, filter chips, the "Older" link and the table frame. Presentational
//! only; the pages own their resources.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::ui::Badge;

/// How often a live feed refetches its page.
const REFRESH: Duration = Duration::from_secs(4);

/// The feed table frame (rounded card with horizontal scroll).
pub const TABLE_FRAME: &str = "overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900";
/// A table body row.
pub const ROW: &str = "border-t border-slate-100 hover:bg-slate-50 dark:border-slate-800 dark:hover:bg-slate-800/50";
/// Muted small text.
pub const MUTED: &str = "text-xs text-slate-500";

/// A counter that ticks every few seconds while `live` is on; pages put it in their Resource's source so
/// new rows appear without a reload. Created synchronously in the page (hydration order); the interval
/// is started by an Effect, so only in the browser, and cleared when the page goes away.
pub fn live_ticker() -> (RwSignal<bool>, ReadSignal<u32>) {
    let live = RwSignal::new(true);
    let (tick, set_tick) = signal(0u32);
    Effect::new(move |_| {
        let bump = move || {
            if live.try_get_untracked().unwrap_or(false) {
                set_tick.try_update(|tick| *tick = tick.wrapping_add(1));
            }
        };
        if let Ok(handle) = set_interval_with_handle(bump, REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    (live, tick)
}

/// The "Live" switch of a feed page.
#[component]
pub fn LiveToggle(live: RwSignal<bool>) -> impl IntoView {
    view! {
        <button
            type="button"
            id="live-toggle"
            class="inline-flex items-center gap-2 rounded-full border border-slate-300 bg-white px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200"
            title="Refetch this page every few seconds"
            on:click=move |_| live.update(|on| *on = !*on)
        >
            <span class=move || if live.get() { "h-2 w-2 animate-pulse rounded-full bg-emerald-500" } else { "h-2 w-2 rounded-full bg-slate-400" }></span>
            {move || if live.get() { "Live" } else { "Paused" }}
        </button>
    }
}

/// Badge tone of a firewall verdict.
pub fn verdict_tone(verdict: &str) -> &'static str {
    match verdict {
        "deny" => "red",
        "pending_approval" | "audit" => "amber",
        "sanitize" => "indigo",
        "allow" => "emerald",
        _ => "slate",
    }
}

/// Badge tone of a guardrail action.
pub fn action_tone(action: &str) -> &'static str {
    match action {
        "block" => "red",
        "mask" | "spotlight" => "indigo",
        "flag" | "annotate" => "amber",
        _ => "slate",
    }
}

/// A verdict chip with the event's review / shadow / gap markers.
#[component]
pub fn VerdictChip(verdict: String, #[prop(optional)] review: bool, #[prop(optional)] shadow: bool, #[prop(optional)] gap: bool) -> impl IntoView {
    let tone = verdict_tone(&verdict);
    view! {
        <span class="inline-flex items-center gap-1 whitespace-nowrap" data-verdict=verdict.clone()>
            <Badge text=verdict.replace('_', " ") tone />
            {review.then(|| view! { <span title="matched a review rule: someone should look at this" class="rounded border border-amber-400 px-1 text-[10px] font-semibold uppercase text-amber-700 dark:text-amber-300">"review"</span> })}
            {shadow.then(|| view! { <span title="shadow rule: recorded, not enforced" class="rounded border border-dashed border-slate-400 px-1 text-[10px] font-semibold uppercase text-slate-500">"shadow"</span> })}
            {gap.then(|| view! { <span title="no rule covered this call: a coverage gap" class="rounded border border-red-400 px-1 text-[10px] font-semibold uppercase text-red-600 dark:text-red-300">"gap"</span> })}
        </span>
    }
}

/// (verdict, count) pairs as small chips.
#[component]
pub fn VerdictCounts(counts: Vec<(String, i64)>) -> impl IntoView {
    if counts.is_empty() {
        return view! { <span class=MUTED>"—"</span> }.into_any();
    }
    let chips = counts
        .into_iter()
        .map(|(verdict, n)| view! { <Badge text=format!("{} {n}", verdict.replace('_', " ")) tone=verdict_tone(&verdict) /> })
        .collect_view();
    view! { <span class="inline-flex flex-wrap gap-1">{chips}</span> }.into_any()
}

/// A filter chip: a link that is highlighted when it is the active filter.
#[component]
pub fn FilterChip(href: String, label: String, active: bool) -> impl IntoView {
    let class = if active {
        "rounded-full bg-indigo-600 px-2.5 py-1 text-xs font-medium text-white"
    } else {
        "rounded-full bg-slate-100 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-200 dark:bg-slate-800 dark:text-slate-300"
    };
    view! { <a href=href class=class>{label}</a> }
}

/// The "Older" link of a keyset page (`base` is the path with the current filters, without a cursor).
#[component]
pub fn OlderLink(base: String, next: Option<String>) -> impl IntoView {
    next.map(|cursor| {
        let separator = if base.contains('?') { '&' } else { '?' };
        view! {
            <div class="mt-4 flex justify-end">
                <a id="older" href=format!("{base}{separator}cursor={}", encode(&cursor)) class="inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800">"Older →"</a>
            </div>
        }
    })
}

/// An empty-feed placeholder.
#[component]
pub fn EmptyFeed(id: &'static str, children: Children) -> impl IntoView {
    view! {
        <div id=id class="rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center text-sm text-slate-500 dark:border-slate-700 dark:bg-slate-900">
            {children()}
        </div>
    }
}

/// Builds a query string from the non-empty pairs (values are URL-encoded).
pub fn query_string(path: &str, pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(name, value)| value.as_deref().filter(|value| !value.is_empty()).map(|value| format!("{name}={}", encode(value))))
        .collect();
    if parts.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// Minimal URL component encoding (unreserved characters pass through).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_string_skips_empty_values_and_encodes() {
        assert_eq!(query_string("/events", &[("verdict", None), ("tool_name", Some(String::new()))]), "/events");
        assert_eq!(
            query_string("/events", &[("verdict", Some("deny".into())), ("tool_name", Some("a b/c".into()))]),
            "/events?verdict=deny&tool_name=a%20b%2Fc"
        );
    }
}

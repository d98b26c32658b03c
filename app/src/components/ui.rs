//! Small presentational widgets and the utility-class vocabulary the pages share (Tailwind names,
//! generated into CSS by the `style` crate).

use leptos::prelude::*;

use crate::error::AppError;

pub const INPUT: &str = "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 dark:border-slate-700 dark:bg-slate-900";
pub const LABEL: &str = "block text-sm font-medium text-slate-700 dark:text-slate-300 mb-1";
pub const BTN_PRIMARY: &str = "inline-flex items-center justify-center rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 disabled:opacity-50";
pub const BTN_SECONDARY: &str = "inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
pub const BTN_DANGER: &str = "inline-flex items-center justify-center rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 dark:border-red-800 dark:bg-slate-900 dark:text-red-300 dark:hover:bg-red-950";
pub const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900";
pub const TH: &str = "px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500";
pub const TD: &str = "px-3 py-2 text-sm align-top";

/// A red banner for an error the user should read.
#[component]
pub fn ErrorBanner(error: AppError) -> impl IntoView {
    view! {
        <div role="alert" class="error-banner rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
            {error.to_string()}
        </div>
    }
}

/// Shows the latest result of an action (`action.value()`) when it is an error.
pub fn action_error<T, V>(result: V) -> impl IntoView
where
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    move || match result.get() {
        Some(Err(error)) => Some(view! { <ErrorBanner error /> }),
        _ => None,
    }
}

/// The outcome of an editor's save: validation errors as a list of field paths (`#rule-errors`), any
/// other error as a banner.
pub fn save_errors<T, V>(result: V) -> impl IntoView
where
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    move || match result.get() {
        Some(Err(AppError::Invalid { fields, .. })) => Some(
            view! {
                <ul id="rule-errors" class="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
                    {fields.into_iter().map(|field| view! { <li><code>{field.field}</code> ": " {field.message}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
        ),
        Some(Err(error)) => Some(view! { <ErrorBanner error /> }.into_any()),
        _ => None,
    }
}

/// "Saved." after an editor's successful save (`#saved`).
pub fn saved_notice<T, V>(result: V) -> impl IntoView
where
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    move || matches!(result.get(), Some(Ok(_))).then(|| view! { <span id="saved" class="text-sm text-emerald-700">"Saved."</span> })
}

/// A small pill, coloured by tone (`indigo`, `emerald`, `amber`, `slate`, `red`).
#[component]
pub fn Badge(text: String, #[prop(optional)] tone: &'static str) -> impl IntoView {
    let class = match tone {
        "emerald" => "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200",
        "amber" => "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-200",
        "red" => "bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-200",
        "indigo" => "bg-indigo-100 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-200",
        _ => "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
    };
    view! { <span class=format!("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium {class}")>{text}</span> }
}

/// The hidden CSRF field every console write carries.
/// The frame every list page uses: a bordered, horizontally scrolling table with one header row. An empty
/// header names the actions column.
#[component]
pub fn DataTable(id: &'static str, headers: &'static [&'static str], children: Children) -> impl IntoView {
    let headers = headers.iter().map(|header| view! { <th class=TH>{*header}</th> }).collect_view();
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table id=id class="min-w-full">
                <thead class="bg-slate-50 dark:bg-slate-950">
                    <tr>{headers}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

#[component]
pub fn CsrfField(token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=token /> }
}

/// Formats an RFC 3339 timestamp as `YYYY-MM-DD HH:MM` UTC for tables.
pub fn short_time(rfc3339: &str) -> String {
    let trimmed: String = rfc3339.chars().take(16).collect();
    trimmed.replace('T', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_time_keeps_date_and_minutes() {
        assert_eq!(short_time("2026-11-23T19:46:36.123Z"), "2026-11-23 19:46");
        assert_eq!(short_time(""), "");
    }
}

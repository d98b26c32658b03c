//! The 404 page.

use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <div class="mx-auto max-w-md py-24 text-center">
            <h1 class="text-2xl font-bold">"Page not found"</h1>
            <p class="mt-2 text-slate-500">"This page does not exist."</p>
            <a href="/keys" class="mt-6 inline-block text-indigo-600 hover:underline">"Back to the console"</a>
        </div>
    }
}

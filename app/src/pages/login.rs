//! `/login`: email and password, one generic error for every failure (SPEC §10).

use leptos::prelude::*;

use crate::api::Login;
use crate::components::ui::{action_error, BTN_PRIMARY, INPUT, LABEL};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    view! {
        <div class="flex min-h-full items-center justify-center px-4 py-16">
            <div class="w-full max-w-sm">
                <div class="mb-8 text-center">
                    <div class="mx-auto mb-3 h-10 w-10 rounded-lg bg-indigo-600"></div>
                    <h1 class="text-2xl font-bold tracking-tight">"Sign in to Palisade"</h1>
                    <p class="mt-1 text-sm text-slate-500">"The gateway that guards what your agents say and do."</p>
                </div>
                <div class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
                    <ActionForm action=login attr:class="space-y-4">
                        <div>
                            <label for="email" class=LABEL>"Email"</label>
                            <input id="email" name="email" type="email" autocomplete="username" required class=INPUT />
                        </div>
                        <div>
                            <label for="password" class=LABEL>"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="current-password" required class=INPUT />
                        </div>
                        {action_error(login.value())}
                        <button id="sign-in" type="submit" class=format!("{BTN_PRIMARY} w-full") disabled=move || login.pending().get()>
                            {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </ActionForm>
                </div>
            </div>
        </div>
    }
}

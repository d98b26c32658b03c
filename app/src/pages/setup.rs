//! `/setup?token=…`: first run without bootstrap credentials; creates the Owner with the one-time token.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{setup_token_valid, CompleteSetup};
use crate::components::ui::{action_error, BTN_PRIMARY, INPUT, LABEL};

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let valid = Resource::new(token, setup_token_valid);
    let setup = ServerAction::<CompleteSetup>::new();
    view! {
        <div class="flex min-h-full items-center justify-center px-4 py-16">
            <div class="w-full max-w-sm">
                <h1 class="mb-6 text-center text-2xl font-bold">"Set up Palisade"</h1>
                <Suspense fallback=|| view! { <p>"Checking the setup link…"</p> }>
                    {move || Suspend::new(async move {
                        if valid.await.unwrap_or(false) {
                            view! {
                                <ActionForm action=setup attr:class="space-y-4 rounded-lg border border-slate-200 bg-white p-6 dark:border-slate-800 dark:bg-slate-900">
                                    <input type="hidden" name="token" value=token() />
                                    <p class="text-sm text-slate-500">"Create the Owner account of workspace default."</p>
                                    <div>
                                        <label for="email" class=LABEL>"Email"</label>
                                        <input id="email" name="email" type="email" required class=INPUT />
                                    </div>
                                    <div>
                                        <label for="password" class=LABEL>"Password (12 characters or more)"</label>
                                        <input id="password" name="password" type="password" minlength="12" required class=INPUT />
                                    </div>
                                    {action_error(setup.value())}
                                    <button type="submit" class=format!("{BTN_PRIMARY} w-full")>"Create Owner"</button>
                                </ActionForm>
                            }
                            .into_any()
                        } else {
                            view! {
                                <p class="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900">
                                    "This setup link is invalid, expired or already used. Restart Palisade to print a new one, or "
                                    <a href="/login" class="underline">"sign in"</a>"."
                                </p>
                            }
                            .into_any()
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

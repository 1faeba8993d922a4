//! Escalation contacts: everyone reads them; the Department edits them.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{ContactId, ContactInput};
use canhgac_store::StoreError;
use minijinja::{context, Value};
use serde::Deserialize;

use crate::auth::Page;
use crate::pages::{field_messages, see_other};

async fn render(page: &Page, errors: Value, status: StatusCode) -> Response {
    match page.state.store.contacts().await {
        Ok(contacts) => {
            let ctx = page.ctx(context! { contacts, errors });
            page.state.views.render_status(status, "contacts.html", ctx)
        }
        Err(e) => page.fail(e),
    }
}

/// `GET /contacts`.
pub async fn list(page: Page) -> Response {
    render(&page, Value::UNDEFINED, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    hotline: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    position: String,
}

async fn save(page: Page, id: Option<i64>, f: ContactForm) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let input = ContactInput {
        name: f.name,
        role: f.role,
        phone: f.phone,
        hotline: f.hotline,
        email: f.email,
        notes: f.notes,
        position: f.position.trim().parse().unwrap_or(0),
    };
    match page
        .state
        .store
        .save_contact(&page.actor, id.map(ContactId), &input)
        .await
    {
        Ok(_) => see_other("/contacts"),
        Err(StoreError::Invalid(inv)) => {
            let errors = Value::from_serialize(field_messages(&page, &inv.0));
            render(&page, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /contacts`.
pub async fn create(page: Page, Form(f): Form<ContactForm>) -> Response {
    save(page, None, f).await
}

/// `POST /contacts/{id}`.
pub async fn update(page: Page, Path(id): Path<i64>, Form(f): Form<ContactForm>) -> Response {
    save(page, Some(id), f).await
}

/// `POST /contacts/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<i64>, Form(f): Form<super::login::CsrfOnly>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.delete_contact(&page.actor, ContactId(id)).await {
        Ok(()) => see_other("/contacts"),
        Err(e) => page.fail(e),
    }
}

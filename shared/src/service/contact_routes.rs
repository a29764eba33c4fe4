//! The contact routes: read, look up, list, create, edit, tag, delete.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use super::auth::Caller;
use super::contacts::{ContactPage, NewContact};
use super::error::ServiceError;
use super::model::Contact;
use super::router::{Body, Shared};

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/contacts", get(find_contacts).post(create_contact))
        .route("/v1/contacts/{id}", get(get_contact))
}

#[utoipa::path(post, path = "/v1/contacts", security(("bearer" = [])), request_body = NewContact,
    responses((status = 201, body = Contact), (status = 400), (status = 409, description = "identifier taken")))]
async fn create_contact(
    State(service): State<Shared>,
    caller: Caller,
    Body(new): Body<NewContact>,
) -> Result<Response, ServiceError> {
    let contact = service.create_contact(&caller, new).await?;
    Ok((StatusCode::CREATED, axum::Json(contact)).into_response())
}

#[utoipa::path(get, path = "/v1/contacts/{id}", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Contact), (status = 404)))]
async fn get_contact(
    State(service): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Contact>, ServiceError> {
    Ok(axum::Json(service.contact(&caller, &id).await?))
}

#[utoipa::path(get, path = "/v1/contacts", security(("bearer" = [])),
    params(("phone" = Option<String>, Query), ("email" = Option<String>, Query)),
    responses((status = 200, body = ContactPage), (status = 400)))]
async fn find_contacts(
    State(service): State<Shared>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<axum::Json<ContactPage>, ServiceError> {
    let page = service
        .find_contacts(
            &caller,
            query.get("phone").map(String::as_str),
            query.get("email").map(String::as_str),
        )
        .await?;
    Ok(axum::Json(page))
}

#[derive(OpenApi)]
#[openapi(
    paths(create_contact, get_contact, find_contacts),
    components(schemas(Contact, NewContact, ContactPage))
)]
pub(super) struct ContactsApi;

//! The contact routes: read, look up, list, create, edit, tag, delete, and
//! merge suggestions. The workspace is always the token's.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;

use super::app::Shared;
use super::errors::ApiError;
use super::extract::{Body, Id, Params};
use crate::operations::Caller;
use crate::operations::contacts::{
    ContactPage, ContactPatch, ContactQuery, MergeCandidate, MergeCandidates, NewContact,
    SharedValue, TagsChange,
};
use crate::records::Contact;

pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/contacts", get(find_contacts).post(create_contact))
        .route(
            "/v1/contacts/{id}",
            get(get_contact)
                .patch(update_contact)
                .delete(delete_contact),
        )
        .route(
            "/v1/contacts/{id}/tags",
            axum::routing::post(add_tags).delete(remove_tags),
        )
        .route(
            "/v1/contacts/{id}/merge-suggestions",
            get(merge_suggestions),
        )
}

#[utoipa::path(post, path = "/v1/contacts", summary = "Create a contact", security(("bearer" = [])),
    request_body(content = NewContact, example = json!({"first_name": "Ana", "last_name": "Silva",
        "phone": "+5511987654321", "email": "ana@loja.com.br", "tags": ["vip"]})),
    responses((status = 201, body = Contact), (status = 400, description = "invalid_body, or invalid_contact: a value is invalid; unknown_custom_field: a custom field the workspace does not define"),
        (status = 409, description = "identifier_taken: another contact has the phone or email; contact_limit_reached: the plan's monthly contact limit is used up")))]
async fn create_contact(
    State(app): State<Shared>,
    caller: Caller,
    Body(new): Body<NewContact>,
) -> Result<Response, ApiError> {
    let contact = app.service.contacts.create(&caller, new).await?;
    Ok((StatusCode::CREATED, axum::Json(contact)).into_response())
}

#[utoipa::path(get, path = "/v1/contacts/{id}", summary = "Read a contact", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Contact), (status = 404, description = "not_found, or another workspace's")))]
async fn get_contact(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(
        app.service.contacts.contact(&caller, &id).await?,
    ))
}

#[utoipa::path(get, path = "/v1/contacts", summary = "Look contacts up by phone or email, or search them", security(("bearer" = [])),
    params(
        ("phone" = Option<String>, Query, description = "look up the contacts holding this phone (normalised as imports do); takes no other parameter"),
        ("email" = Option<String>, Query, description = "look up the contacts holding this email; takes no other parameter"),
        ("name" = Option<String>, Query, description = "a prefix of the first or the last name (or of the whole name), case and accents aside: first-name matches by name, then last-name matches"),
        ("tag" = Option<String>, Query, description = "contacts carrying this tag (compared case-insensitively); several, separated by commas, for any of them"),
        ("tag_match" = Option<String>, Query, description = "`any` (the default) or `all` of the tags given"),
        ("group" = Option<String>, Query, description = "contacts in this group"),
        ("custom" = Option<String>, Query, description = "`key:value`: contacts whose custom field holds this value (read by the field's type)"),
        ("country" = Option<String>, Query, description = "an ISO code or a country's name"),
        ("language" = Option<String>, Query, description = "an ISO 639-1 code or a language's name"),
        ("assignee" = Option<String>, Query),
        ("blocked" = Option<bool>, Query),
        ("created_after" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("created_before" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("sort" = Option<String>, Query, description = "`name`, `-name`, `created` or `-created`; by name when searching a name, else newest first"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "the cursor of the previous page"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "page size, 1 to 100; 50 when not given")),
    responses((status = 200, body = ContactPage, description = "a look-up answers every holder and no cursor; a search answers a page and the cursor of the next (null on the last). A page may come back short, still with a cursor, when its filters keep few of the contacts one page reads"),
        (status = 400, description = "invalid_query: phone and email together, a look-up with search parameters, a value that cannot be a phone, an email, a country, a language or a time, a bad limit or sort, or an unknown parameter; unknown_custom_field; invalid_cursor")))]
async fn find_contacts(
    State(app): State<Shared>,
    caller: Caller,
    Params(params): Params,
) -> Result<axum::Json<ContactPage>, ApiError> {
    let query = ContactQuery::from_params(params)?;
    Ok(axum::Json(
        app.service.contacts.query(&caller, query).await?,
    ))
}

#[utoipa::path(patch, path = "/v1/contacts/{id}", summary = "Change a contact's fields", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = ContactPatch, example = json!({"last_name": "Souza", "language": "pt"})),
    responses((status = 200, body = Contact), (status = 400, description = "invalid_body or invalid_contact: a value is invalid, or a key unknown; unknown_custom_field: a custom field the workspace does not define"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "identifier_taken: another contact has the new phone or email; contact_changed: the contact kept changing meanwhile")))]
async fn update_contact(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(patch): Body<ContactPatch>,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(
        app.service.contacts.update(&caller, &id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/contacts/{id}", summary = "Delete a contact", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "deleted, its phone and email free again"),
        (status = 403, description = "forbidden: needs the owner or manager role"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "contact_changed: the contact kept changing meanwhile")))]
async fn delete_contact(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    app.service.contacts.delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/contacts/{id}/tags", summary = "Add tags to a contact", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = TagsChange, example = json!({"tags": ["vip", "feria"]})),
    responses((status = 200, body = Contact, description = "the contact with the tags added; a tag it has in another case is kept as it is"),
        (status = 400, description = "invalid_body or invalid_contact: a tag that cannot be kept, or over 50 tags"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "contact_changed: the contact kept changing meanwhile")))]
async fn add_tags(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(change): Body<TagsChange>,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(
        app.service.contacts.add_tags(&caller, &id, change).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/contacts/{id}/tags", summary = "Remove tags from a contact", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = TagsChange, example = json!({"tags": ["vip", "feria"]})),
    responses((status = 200, body = Contact, description = "the contact without the tags, compared case-insensitively"),
        (status = 400, description = "invalid_body or invalid_contact"),
        (status = 404, description = "not_found, or another workspace's"),
        (status = 409, description = "contact_changed: the contact kept changing meanwhile")))]
async fn remove_tags(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
    Body(change): Body<TagsChange>,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(
        app.service
            .contacts
            .remove_tags(&caller, &id, change)
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/contacts/{id}/merge-suggestions", summary = "Other contacts sharing a contact's phone or email", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = MergeCandidates, description = "the other contacts sharing one of its phones or emails, by id, each with the values it shares; blocked contacts are never suggested"),
        (status = 404, description = "not_found, or another workspace's")))]
async fn merge_suggestions(
    State(app): State<Shared>,
    caller: Caller,
    Id(id): Id,
) -> Result<axum::Json<MergeCandidates>, ApiError> {
    Ok(axum::Json(
        app.service.contacts.merge_suggestions(&caller, &id).await?,
    ))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        create_contact,
        get_contact,
        find_contacts,
        update_contact,
        delete_contact,
        add_tags,
        remove_tags,
        merge_suggestions
    ),
    components(schemas(
        Contact,
        NewContact,
        ContactPatch,
        TagsChange,
        ContactPage,
        MergeCandidates,
        MergeCandidate,
        SharedValue
    ))
)]
pub(super) struct ContactsApi;

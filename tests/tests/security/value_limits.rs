//! Value limits: each at its limit is taken, one over is refused with the
//! API's error shape (or, in a file, the row ends `Error`).

use super::*;

// ---- Value limits ------------------------------------------------------------

fn chars(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// An email address of exactly `n` characters (n from 10 to 255), its
/// local part made of `c`.
fn email_of(n: usize, c: char) -> String {
    let local = chars(c, 64.min(n - 10));
    let mut domain = String::new();
    let mut left = n - local.len() - 1 - 4;
    while left > 0 {
        if !domain.is_empty() {
            domain.push('.');
            left -= 1;
        }
        let label = left.min(63);
        domain.push_str(&chars('b', label));
        left -= label;
    }
    let email = format!("{local}@{domain}.com");
    assert_eq!(email.chars().count(), n, "{email}");
    email
}

/// A call whose body holds a value at its limit, or one over.
struct Limited<'a> {
    method: &'a str,
    path: &'a str,
    /// The status of the call at the limit.
    ok: u16,
    /// The error code of the call one over.
    code: &'a str,
}

/// `at` is taken, `over` refused with 400 and the call's code.
async fn at_and_over(api: &ApiClient, call: &Limited<'_>, what: &str, at: Value, over: Value) {
    let answer = ok(api.call(call.method, call.path, Some(&at)).await);
    assert_eq!(
        answer.status, call.ok,
        "{what} at its limit: {}",
        answer.body
    );
    let answer = ok(api.call(call.method, call.path, Some(&over)).await);
    assert_error(
        &answer,
        400,
        call.code,
        &format!("{what} one over its limit"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_values_at_their_limit_are_taken_and_one_over_refused() {
    let s = stack();
    let api = s.owner("sec-limits-contacts");
    let custom = json!({"custom_fields": [{"key": "nota", "label": "Nota", "type": "text"}]});
    assert_eq!(
        ok(api.call("PUT", "/v1/settings", Some(&custom)).await).status,
        200
    );
    let text = limits::MAX_TEXT_CHARS;
    let tag = limits::MAX_TAG_CHARS;
    let tags = limits::MAX_TAGS_PER_ROW;
    let many = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    // Characters, not bytes: "é" is two bytes in UTF-8.
    let cases = [
        (
            "first_name",
            json!({"first_name": chars('é', text)}),
            json!({"first_name": chars('é', text + 1)}),
        ),
        (
            "last_name",
            json!({"first_name": "A", "last_name": chars('x', text)}),
            json!({"first_name": "A", "last_name": chars('x', text + 1)}),
        ),
        (
            "email",
            json!({"first_name": "A", "email": email_of(text, 'a')}),
            json!({"first_name": "A", "email": format!("z{}", email_of(text, 'a'))}),
        ),
        (
            "assignee",
            json!({"first_name": "A", "assignee": chars('u', text)}),
            json!({"first_name": "A", "assignee": chars('u', text + 1)}),
        ),
        (
            "a text custom field",
            json!({"first_name": "A", "custom_fields": {"nota": chars('n', text)}}),
            json!({"first_name": "A", "custom_fields": {"nota": chars('n', text + 1)}}),
        ),
        (
            "a tag",
            json!({"first_name": "A", "tags": [chars('t', tag)]}),
            json!({"first_name": "A", "tags": [chars('t', tag + 1)]}),
        ),
        (
            "the tags",
            json!({"first_name": "A", "tags": many(tags)}),
            json!({"first_name": "A", "tags": many(tags + 1)}),
        ),
    ];
    for (what, at, over) in cases {
        let create = Limited {
            method: "POST",
            path: "/v1/contacts",
            ok: 201,
            code: "invalid_contact",
        };
        at_and_over(&api, &create, what, at, over).await;
    }
    // The same limits on an edit, and on the tags routes.
    let created = ok(api
        .call(
            "POST",
            "/v1/contacts",
            Some(&json!({"first_name": "Editada"})),
        )
        .await);
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/contacts/{id}");
    let patch = Limited {
        method: "PATCH",
        path: &path,
        ok: 200,
        code: "invalid_contact",
    };
    at_and_over(
        &api,
        &patch,
        "last_name",
        json!({"last_name": chars('y', text)}),
        json!({"last_name": chars('y', text + 1)}),
    )
    .await;
    at_and_over(
        &api,
        &patch,
        "email",
        json!({"email": email_of(text, 'e')}),
        json!({"email": format!("z{}", email_of(text, 'e'))}),
    )
    .await;
    let tags_path = format!("/v1/contacts/{id}/tags");
    let add = Limited {
        method: "POST",
        path: &tags_path,
        ok: 200,
        code: "invalid_contact",
    };
    at_and_over(
        &api,
        &add,
        "a tag",
        json!({"tags": [chars('q', tag)]}),
        json!({"tags": [chars('q', tag + 1)]}),
    )
    .await;
    let remove = Limited {
        method: "DELETE",
        ..add
    };
    at_and_over(
        &api,
        &remove,
        "the tags named",
        json!({"tags": many(tags)}),
        json!({"tags": many(tags + 1)}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_are_bounded() {
    let s = stack();
    let api = s.owner("sec-limits-queries");
    let get = |path: String| {
        let api = api.clone();
        async move { ok(api.call("GET", &path, None).await) }
    };
    let tag = limits::MAX_TAG_CHARS;
    let text = limits::MAX_TEXT_CHARS;
    for (at, over) in [
        (
            format!("/v1/contacts?tag={}", chars('t', tag)),
            format!("/v1/contacts?tag={}", chars('t', tag + 1)),
        ),
        // A number with fillers up to the limit (a value that cannot be a
        // number answers 400 whatever its length).
        (
            format!(
                "/v1/contacts?phone=%2B593991234567{}",
                chars('-', text - 13)
            ),
            format!(
                "/v1/contacts?phone=%2B593991234567{}",
                chars('-', text - 12)
            ),
        ),
        (
            format!("/v1/contacts?email={}", query_value(&email_of(text, 'a'))),
            format!("/v1/contacts?email=z{}", query_value(&email_of(text, 'a'))),
        ),
        (
            format!("/v1/contacts?limit={}", limits::MAX_PAGE),
            format!("/v1/contacts?limit={}", limits::MAX_PAGE + 1),
        ),
        (
            "/v1/imports?limit=100".to_string(),
            "/v1/imports?limit=101".to_string(),
        ),
    ] {
        let answer = get(at.clone()).await;
        assert_eq!(answer.status, 200, "{at}: {}", answer.body);
        assert_error(&get(over.clone()).await, 400, "invalid_query", &over);
    }
    let long_cursor = chars('A', limits::MAX_CURSOR_CHARS + 1);
    assert_error(
        &get(format!("/v1/contacts?cursor={long_cursor}")).await,
        400,
        "invalid_cursor",
        "an over-long cursor",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_inputs_at_their_limit_are_taken_and_one_over_refused() {
    let s = stack();
    let api = s.owner("sec-limits-imports");
    let name = |n: usize| format!("{}.csv", chars('ñ', n - 4));
    let create = |extra: Value| {
        let mut body = json!({"file_name": "a.csv", "size_bytes": 100});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let max = limits::MAX_FILE_NAME_CHARS;
    let start = Limited {
        method: "POST",
        path: "/v1/imports",
        ok: 201,
        code: "invalid_file_name",
    };
    at_and_over(
        &api,
        &start,
        "file_name",
        create(json!({"file_name": name(max)})),
        create(json!({"file_name": name(max + 1)})),
    )
    .await;
    let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    let mapping = |n: usize| {
        (0..n)
            .map(|i| json!({"column": format!("c{i}"), "field": null}))
            .collect::<Vec<_>>()
    };
    let options = [
        (
            "the tags",
            json!({"tags": tags(limits::MAX_TAGS_PER_ROW)}),
            json!({"tags": tags(limits::MAX_TAGS_PER_ROW + 1)}),
        ),
        (
            "a tag",
            json!({"tags": [chars('t', limits::MAX_TAG_CHARS)]}),
            json!({"tags": [chars('t', limits::MAX_TAG_CHARS + 1)]}),
        ),
        (
            "the group",
            json!({"group": chars('g', limits::MAX_TEXT_CHARS)}),
            json!({"group": chars('g', limits::MAX_TEXT_CHARS + 1)}),
        ),
        (
            "the mapping",
            json!({"mapping": mapping(limits::MAX_MAPPING_ENTRIES)}),
            json!({"mapping": mapping(limits::MAX_MAPPING_ENTRIES + 1)}),
        ),
        (
            "a mapped column",
            json!({"mapping": [{"column": chars('c', limits::MAX_TEXT_CHARS), "field": "phone"}]}),
            json!({"mapping": [{"column": chars('c', limits::MAX_TEXT_CHARS + 1), "field": "phone"}]}),
        ),
    ];
    for (what, at, over) in options {
        let start = Limited {
            code: "invalid_options",
            ..start
        };
        at_and_over(
            &api,
            &start,
            what,
            create(json!({"options": at})),
            create(json!({"options": over})),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_exports_at_their_limit_are_taken_and_one_over_refused() {
    let s = stack();
    let api = s.owner("sec-limits-settings");
    let field = |key: String, label: String| json!({"key": key, "label": label, "type": "text"});
    let fields = |n: usize| {
        let all: Vec<Value> = (0..n)
            .map(|i| field(format!("f{i}"), format!("F{i}")))
            .collect();
        json!({"custom_fields": all})
    };
    let list = |options: Vec<String>| json!({"custom_fields": [{"key": "plan", "label": "Plan", "type": "list", "options": options}]});
    let options = |n: usize| (0..n).map(|i| format!("o{i}")).collect::<Vec<_>>();
    let key = |n: usize| format!("k{}", chars('x', n - 1));
    let cases = [
        (
            "a key",
            json!({"custom_fields": [field(key(limits::MAX_CUSTOM_FIELD_KEY_CHARS), "K".into())]}),
            json!({"custom_fields": [field(key(limits::MAX_CUSTOM_FIELD_KEY_CHARS + 1), "K".into())]}),
        ),
        (
            "a label",
            json!({"custom_fields": [field("k".into(), chars('l', limits::MAX_CUSTOM_FIELD_LABEL_CHARS))]}),
            json!({"custom_fields": [field("k".into(), chars('l', limits::MAX_CUSTOM_FIELD_LABEL_CHARS + 1))]}),
        ),
        (
            "the custom fields",
            fields(limits::MAX_CUSTOM_FIELDS),
            fields(limits::MAX_CUSTOM_FIELDS + 1),
        ),
        (
            "a list's options",
            list(options(limits::MAX_LIST_OPTIONS)),
            list(options(limits::MAX_LIST_OPTIONS + 1)),
        ),
        (
            "a list option",
            list(vec![chars('o', limits::MAX_TEXT_CHARS)]),
            list(vec![chars('o', limits::MAX_TEXT_CHARS + 1)]),
        ),
        (
            "the reset tag",
            json!({"monthly_reset": {"mode": "tagged", "tag": chars('b', limits::MAX_TAG_CHARS)}}),
            json!({"monthly_reset": {"mode": "tagged", "tag": chars('b', limits::MAX_TAG_CHARS + 1)}}),
        ),
        (
            "a user",
            json!({"users": [chars('u', limits::MAX_TEXT_CHARS)]}),
            json!({"users": [chars('u', limits::MAX_TEXT_CHARS + 1)]}),
        ),
    ];
    for (what, at, over) in cases {
        let put = Limited {
            method: "PUT",
            path: "/v1/settings",
            ok: 200,
            code: "invalid_settings",
        };
        at_and_over(&api, &put, what, at, over).await;
    }
    // Values each within their limit that add up past what one stored item
    // holds: refused whole, nothing stored.
    let big_lists: Vec<Value> = (0..8)
        .map(|f| {
            let options: Vec<String> = (0..limits::MAX_LIST_OPTIONS)
                .map(|i| format!("{i:03}{}", chars('o', limits::MAX_TEXT_CHARS - 3)))
                .collect();
            json!({"key": format!("l{f}"), "label": "L", "type": "list", "options": options})
        })
        .collect();
    let before = ok(api.call("GET", "/v1/settings", None).await).body;
    let answer = ok(api
        .call(
            "PUT",
            "/v1/settings",
            Some(&json!({"custom_fields": big_lists})),
        )
        .await);
    assert_error(
        &answer,
        400,
        "invalid_settings",
        "settings past what an item holds",
    );
    assert_eq!(ok(api.call("GET", "/v1/settings", None).await).body, before);

    let export = Limited {
        method: "POST",
        path: "/v1/exports",
        ok: 202,
        code: "invalid_export",
    };
    at_and_over(
        &api,
        &export,
        "an export's tag",
        json!({"tag": chars('e', limits::MAX_TAG_CHARS)}),
        json!({"tag": chars('e', limits::MAX_TAG_CHARS + 1)}),
    )
    .await;
}

/// Each data row's (status, errors) once `file` is validated.
fn outcomes_with_notes(file: &[u8]) -> Vec<(String, String)> {
    let workspace = Workspace {
        default_country: Some("EC".into()),
        custom_fields: vec![CustomField {
            key: "nota".into(),
            label: "Nota".into(),
            kind: CustomType::Text,
        }],
        ..Default::default()
    };
    end_to_end::row_outcomes(file, &ImportOptions::default(), &workspace)
}

#[test]
fn file_values_at_their_limit_are_taken_and_one_over_ends_the_row_in_error() {
    let text = limits::MAX_TEXT_CHARS;
    let tag = limits::MAX_TAG_CHARS;
    let tags = |n: usize| {
        (0..n)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join("|")
    };
    let mut lines = vec!["Nombre;Apellido;Teléfono;Correo;Etiquetas;Nota".to_string()];
    let mut expect = Vec::new();
    let mut row = |first: String,
                   last: String,
                   email: String,
                   tags: String,
                   note: String,
                   error: Option<&str>| {
        let n = lines.len() as u32;
        lines.push(format!(
            "{first};{last};{};{email};{tags};{note}",
            ec_phone(820_000 + n)
        ));
        expect.push(error.map(str::to_string));
    };
    let fine = || {
        (
            "A".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        )
    };
    let (f, l, e, t, n) = fine();
    row(
        chars('é', text),
        l.clone(),
        e.clone(),
        t.clone(),
        n.clone(),
        None,
    );
    row(
        chars('é', text + 1),
        l.clone(),
        e.clone(),
        t.clone(),
        n.clone(),
        Some("is longer than 255 characters"),
    );
    row(
        f.clone(),
        chars('x', text),
        e.clone(),
        t.clone(),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        chars('x', text + 1),
        e.clone(),
        t.clone(),
        n.clone(),
        Some("is longer than 255 characters"),
    );
    row(
        f.clone(),
        l.clone(),
        email_of(text, 'a'),
        t.clone(),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        l.clone(),
        format!("z{}", email_of(text, 'a')),
        t.clone(),
        n.clone(),
        Some("is longer than 255 characters"),
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        tags(limits::MAX_TAGS_PER_ROW),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        tags(limits::MAX_TAGS_PER_ROW + 1),
        n.clone(),
        Some("has more than 50 tags"),
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        chars('t', tag),
        n.clone(),
        None,
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        chars('t', tag + 1),
        n.clone(),
        Some("has a tag longer than 64 characters"),
    );
    row(
        f.clone(),
        l.clone(),
        e.clone(),
        t.clone(),
        chars('n', text),
        None,
    );
    row(
        f,
        l,
        e,
        t,
        chars('n', text + 1),
        Some("is longer than 255 characters"),
    );
    let outcomes = outcomes_with_notes(&file(&lines));
    assert_eq!(outcomes.len(), expect.len());
    for (i, ((status, errors), expected)) in outcomes.iter().zip(&expect).enumerate() {
        match expected {
            None => assert_eq!(status, "Imported", "row {}: {errors}", i + 2),
            Some(words) => {
                assert_eq!(status, "Error", "row {}", i + 2);
                assert!(errors.contains(words), "row {}: {errors}", i + 2);
            }
        }
    }

    // Columns: the file's header may hold 500, not 501.
    let header = |n: usize| {
        (0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let body = |n: usize| {
        let mut cells = vec![String::new(); n];
        cells[0] = ec_phone(829_999);
        cells.join(",")
    };
    let columns = limits::MAX_COLUMNS;
    let wide = |n: usize| {
        let mut h = header(n);
        h.replace_range(0..2, "Teléfono");
        file(&[h, body(n)])
    };
    assert!(
        validate(
            &wide(columns)[..],
            &ImportOptions::default(),
            &Workspace::default(),
            &EmptyWorkspace
        )
        .is_ok()
    );
    match validate(
        &wide(columns + 1)[..],
        &ImportOptions::default(),
        &Workspace::default(),
        &EmptyWorkspace,
    ) {
        Err(ValidateError::Refused(Refusal::TooManyColumns { count })) => {
            assert_eq!(count, columns + 1)
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("{} columns were taken", columns + 1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_row_over_a_limit_ends_in_error_through_the_pipeline() {
    let s = stack();
    let api = s.owner("sec-limits-rows");
    let bytes = file(&[
        "Nombre,Teléfono".into(),
        format!(
            "{},{}",
            chars('é', limits::MAX_TEXT_CHARS),
            ec_phone(830_001)
        ),
        format!(
            "{},{}",
            chars('é', limits::MAX_TEXT_CHARS + 1),
            ec_phone(830_002)
        ),
    ]);
    let import = reviewed(&api, "largos.csv", &bytes, None).await;
    let done = confirmed(&api, &id_of(&import)).await;
    assert_eq!(done["result"]["imported"], 1, "{done}");
    assert_eq!(done["result"]["errors"], 1, "{done}");
    let result = result_file(&api, &id_of(&import), b',').await;
    assert_eq!(result.values("Import Status"), ["Imported", "Error"]);
    assert!(
        result
            .cell(1, "Errors")
            .contains("is longer than 255 characters"),
        "{:?}",
        result.rows[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_limit_is_refused_in_the_error_shape() {
    let s = stack();
    let api = s.owner("sec-limits-body");
    let max = contact_service::http::MAX_BODY_BYTES;
    let huge = json!({"first_name": "A", "last_name": chars('x', max)});
    let answer = ok(api.call("POST", "/v1/contacts", Some(&huge)).await);
    assert_error(&answer, 413, "body_too_large", "a body past the limit");
}

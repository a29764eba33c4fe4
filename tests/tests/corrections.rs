//! Corrections made in the review, through the engine: a corrected cell is
//! read as if the file held it, a dropped row ends `Skipped` and no longer
//! counts, and the stage, the error file and the review's rows all agree.

use contact_engine::classify::Status;
use contact_engine::corrections::{Change, Corrections, FileShape};
use contact_engine::options::{ImportOptions, Workspace};
use contact_engine::{ReviewRow, ReviewRowsOut, StageOut, StagedRow, Validation, scan_corrected};

const FILE: &str = "Nombre;Celular;Correo\n\
    Ana;no es un número;ana@x.ec\n\
    Luis;0991234567;luis@x.ec\n\
    Eva;0991234567;eva@x.ec\n\
    Rosa;0997777777;rosa@x.ec\n";

fn ec() -> Workspace {
    Workspace {
        default_country: Some("EC".into()),
        ..Default::default()
    }
}

/// The file validated with `changes` made in the review, against an empty
/// workspace.
fn reviewed(changes: &[Change]) -> Validation {
    let shape = FileShape {
        last_row: 5,
        columns: 3,
    };
    let fixes = Corrections::default().with(changes, shape).unwrap();
    let scanned =
        scan_corrected(FILE.as_bytes(), &ImportOptions::default(), &ec(), &fixes).unwrap();
    let asked = scanned.questions().map_or(0, |q| q.values.len());
    scanned.classify(&vec![0; asked]).unwrap()
}

struct Written {
    stage: Vec<StagedRow>,
    errors: String,
    rows: Vec<ReviewRow>,
}

fn write(v: &Validation) -> Written {
    let (mut stage, mut errors) = (Vec::new(), Vec::new());
    let mut files: [Vec<u8>; 4] = Default::default();
    let [imported, updated, skipped, error] = &mut files;
    v.write_stage(
        FILE.as_bytes(),
        &ImportOptions::default(),
        &ec(),
        100,
        StageOut {
            stage: &mut stage,
            errors: Some(&mut errors),
            rows: Some(ReviewRowsOut {
                imported,
                updated,
                skipped,
                error,
            }),
        },
    )
    .unwrap();
    let lines = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let mut rows: Vec<ReviewRow> = files
        .iter()
        .flat_map(|f| lines(f))
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect();
    rows.sort_by_key(|r| r.row);
    Written {
        stage: lines(&stage)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        errors: String::from_utf8(errors).unwrap(),
        rows,
    }
}

#[test]
fn without_corrections_the_review_rows_give_each_reason_beside_its_column() {
    let v = reviewed(&[]);
    assert_eq!(
        v.statuses().collect::<Vec<_>>(),
        [
            Status::Error,
            Status::Error,
            Status::Error,
            Status::Imported
        ]
    );
    let written = write(&v);
    let row2 = &written.rows[0];
    assert_eq!((row2.row, row2.status), (2, Status::Error));
    assert_eq!(row2.issues.len(), 1);
    assert_eq!(row2.issues[0].column, Some(1));
    assert!(
        row2.issues[0]
            .message
            .starts_with("Celular: \"no es un número\"")
    );
    let row3 = &written.rows[1];
    assert_eq!(row3.issues[0].column, Some(1));
    assert!(
        row3.issues[0].message.contains("also row 4"),
        "{:?}",
        row3.issues
    );
    assert!(written.rows[3].issues.is_empty());
    assert_eq!(written.errors.lines().count(), 4, "a header and three rows");
}

#[test]
fn a_corrected_cell_is_read_as_if_the_file_held_it_and_a_dropped_row_ends_skipped() {
    let v = reviewed(&[
        Change::Cell {
            row: 2,
            column: 1,
            value: Some("099 765 4321".into()),
        },
        // Dropping one of the two rows that repeat a phone lets the other in.
        Change::Drop { row: 4 },
    ]);
    assert_eq!(
        v.statuses().collect::<Vec<_>>(),
        [
            Status::Imported,
            Status::Imported,
            Status::Skipped,
            Status::Imported
        ]
    );
    assert_eq!(
        (v.review.to_add, v.review.to_skip, v.review.errors),
        (3, 1, 0)
    );
    let written = write(&v);

    // The review's rows show the corrected value, which column changed,
    // and why the dropped row is skipped.
    let row2 = &written.rows[0];
    assert_eq!(row2.cells[1], "099 765 4321");
    assert_eq!(row2.corrected, vec![1]);
    assert_eq!(row2.status, Status::Imported);
    let row4 = &written.rows[2];
    assert!(row4.dropped);
    assert_eq!(row4.status, Status::Skipped);
    assert_eq!(
        row4.issues[0].message,
        "removed from the import in the review"
    );

    // The workers import the corrected value and skip the dropped row
    // whatever the workspace holds; the result file shows the cells staged.
    let staged2 = &written.stage[0];
    assert_eq!(staged2.cells[1], "099 765 4321");
    assert_eq!(staged2.key.as_deref(), Some("+593997654321"));
    let staged4 = &written.stage[2];
    assert_eq!(
        staged4.skipped.as_deref(),
        Some("removed from the import in the review")
    );
    assert!(staged4.draft.is_none() && staged4.error.is_none());
    assert_eq!(written.errors.lines().count(), 1, "no row is in error");
}

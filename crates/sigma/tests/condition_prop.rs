//! Property test: the condition parser agrees with a reference evaluator on random expressions, printed with the
//! fewest parentheses precedence allows plus random extra ones, and random keyword case.

use canhgac_sigma::parse_condition;
use proptest::prelude::*;

const NAMES: [&str; 4] = ["sel_a", "sel_b", "filter_a", "filter_b"];

#[derive(Debug, Clone)]
enum T {
    Name(usize),
    And(Box<T>, Box<T>),
    Or(Box<T>, Box<T>),
    Not(Box<T>),
    OneOfSel,
    AllOfFilter,
    AnyOfThem,
    AllOfThem,
}

fn reference(t: &T, v: &[bool; 4]) -> bool {
    match t {
        T::Name(i) => v[*i],
        T::And(a, b) => reference(a, v) && reference(b, v),
        T::Or(a, b) => reference(a, v) || reference(b, v),
        T::Not(a) => !reference(a, v),
        T::OneOfSel => v[0] || v[1],
        T::AllOfFilter => v[2] && v[3],
        T::AnyOfThem => v.iter().any(|x| *x),
        T::AllOfThem => v.iter().all(|x| *x),
    }
}

fn tree() -> impl Strategy<Value = T> {
    let leaf = prop_oneof![
        (0..4usize).prop_map(T::Name),
        Just(T::OneOfSel),
        Just(T::AllOfFilter),
        Just(T::AnyOfThem),
        Just(T::AllOfThem),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| T::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| T::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| T::Not(Box::new(a))),
        ]
    })
}

/// Prints `t`; `parent` is the binding strength the context needs (or 1, and 2, not 3); `extra` supplies random
/// choices for redundant parentheses and keyword case.
fn render(t: &T, parent: u8, extra: &mut impl Iterator<Item = bool>) -> String {
    let mut kw = |w: &str| {
        if extra.next().unwrap_or(false) {
            w.to_uppercase()
        } else {
            w.to_string()
        }
    };
    let (prec, s) = match t {
        T::Name(i) => (4, NAMES[*i].to_string()),
        T::OneOfSel => (4, format!("1 {} sel_*", kw("of"))),
        T::AllOfFilter => (4, format!("{} of filter_*", kw("all"))),
        T::AnyOfThem => (4, format!("{} of them", kw("any"))),
        T::AllOfThem => (4, "all of them".to_string()),
        T::And(a, b) => {
            let op = kw("and");
            (2, format!("{} {op} {}", render(a, 2, extra), render(b, 3, extra)))
        }
        T::Or(a, b) => {
            let op = kw("or");
            (1, format!("{} {op} {}", render(a, 1, extra), render(b, 2, extra)))
        }
        T::Not(a) => {
            let op = kw("not");
            (3, format!("{op} {}", render(a, 3, extra)))
        }
    };
    if prec < parent || extra.next().unwrap_or(false) {
        format!("({s})")
    } else {
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn parser_agrees_with_reference(t in tree(), coins in proptest::collection::vec(proptest::bool::weighted(0.2), 64)) {
        let text = render(&t, 0, &mut coins.into_iter());
        let parsed = parse_condition(&text);
        prop_assert!(parsed.is_ok(), "`{}` did not parse: {:?}", text, parsed.err());
        let Ok(expr) = parsed else { return Ok(()) };
        for bits in 0..16u8 {
            let v = [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0];
            let value = |n: &str| NAMES.iter().position(|x| *x == n).is_some_and(|i| v[i]);
            prop_assert_eq!(expr.eval(&NAMES, &value), reference(&t, &v), "`{}` with {:?}", text, v);
        }
    }
}

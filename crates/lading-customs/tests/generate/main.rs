//! Customs-line generation, read as a spec: each test states items (and rule rows where they
//! matter) and the lines expected, rendered as text.

mod support;

mod bad_input;
mod bench;
mod dates;
mod duty;
mod fees;
mod grouping;
mod rounding;
mod rules;
mod worked_example;

//! The declarative field-mapping engine: source fields → canonical product → target fields.

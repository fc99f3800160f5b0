//! Product identifiers: EAN-13, GTIN-14 and SGTIN-96 EPC validation and normalisation.

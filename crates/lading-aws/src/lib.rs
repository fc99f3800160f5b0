//! Lading on AWS. This slice generates what a deployment needs — one Step Functions state
//! machine per pipeline and the CloudFormation template — from the pipelines and tenants, with
//! no AWS SDK: generating templates must not compile it (issue 6).

pub mod template;

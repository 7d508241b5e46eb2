// Bogus credentials and region: no test may reach real AWS.
process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTTESTTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.POWERTOOLS_DEV = 'false';

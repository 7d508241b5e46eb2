// Placeholder until the DynamoDB Local launcher lands: starts nothing.
export default function setup(): void {}

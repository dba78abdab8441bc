"""HTTP plumbing shared by every domain's router: dependencies, middleware, pagination."""

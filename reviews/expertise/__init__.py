"""Reviewer expertise from their publications: importers, the stemmed text model, the
optional embedding model and the offline evaluation. Nothing here touches the database;
`reviews.services.expertise` and the selectors call it."""

CREATE TABLE list_versions (
	id INTEGER NOT NULL, 
	commitment TEXT NOT NULL, 
	method TEXT NOT NULL, 
	accepted_at_utc TEXT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (commitment)
);
CREATE TABLE allocations (
	id INTEGER NOT NULL, 
	subject TEXT NOT NULL, 
	stratum TEXT NOT NULL, 
	seq INTEGER NOT NULL, 
	kit TEXT NOT NULL, 
	arm TEXT NOT NULL, 
	strata_json TEXT NOT NULL, 
	allocated_by TEXT NOT NULL, 
	allocated_at_utc TEXT NOT NULL, 
	list_commitment TEXT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_allocations_slot UNIQUE (stratum, seq), 
	UNIQUE (subject), 
	UNIQUE (kit)
);
CREATE TABLE unblindings (
	id INTEGER NOT NULL, 
	subject TEXT NOT NULL, 
	kit TEXT NOT NULL, 
	arm TEXT NOT NULL, 
	reason TEXT NOT NULL, 
	revealed_by TEXT NOT NULL, 
	revealed_at_utc TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(subject) REFERENCES allocations (subject)
);
CREATE TRIGGER list_versions_no_update BEFORE UPDATE ON list_versions BEGIN SELECT RAISE(ABORT, 'mmntrial ledger: list_versions is append-only'); END;
CREATE TRIGGER list_versions_no_delete BEFORE DELETE ON list_versions BEGIN SELECT RAISE(ABORT, 'mmntrial ledger: list_versions is append-only'); END;
CREATE TRIGGER allocations_no_update BEFORE UPDATE ON allocations BEGIN SELECT RAISE(ABORT, 'mmntrial ledger: allocations is append-only'); END;
CREATE TRIGGER allocations_no_delete BEFORE DELETE ON allocations BEGIN SELECT RAISE(ABORT, 'mmntrial ledger: allocations is append-only'); END;
CREATE TRIGGER unblindings_no_update BEFORE UPDATE ON unblindings BEGIN SELECT RAISE(ABORT, 'mmntrial ledger: unblindings is append-only'); END;
CREATE TRIGGER unblindings_no_delete BEFORE DELETE ON unblindings BEGIN SELECT RAISE(ABORT, 'mmntrial ledger: unblindings is append-only'); END;

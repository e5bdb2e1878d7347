// The .ein language (docs LANGUAGE.md): cascades of einsums. No code here: the frontend's
// visitor builds the IR and reports every semantic error; names of functions and reduction
// operators stay identifiers so that an unknown one gets a good diagnostic.
grammar Ein;

// ---------------------------------------------------------------- structure

file
    : (cascade | sep)* EOF
    ;

// Items are separated by newlines or ';' (the frontend reports two items on one line). Keeping
// the separator out of this rule keeps every decision here one token deep, so that after an error
// ANTLR's recovery skips to the next line and the rest of the cascade is still checked.
cascade
    : CASCADE name=ID LBRACE (sep | item)* RBRACE
    ;

// Statements end at a newline or ';'.
sep
    : NL
    | SEMI
    ;

item
    : BATCH ID (COMMA ID)*                                             # batchItem
    | INPUT tensorDecl (COMMA tensorDecl)*                             # inputItem
    | OUTPUT tensorDecl (COMMA tensorDecl)*                            # outputItem
    | PARAM name=ID (ASSIGN expr)?                                     # paramItem
    | SPLIT parent=ID ASSIGN LPAREN outer=ID COMMA inner=ID RPAREN BY expr  # splitItem
    | INIT target ASSIGN expr (WHERE cond=expr)?                       # initItem
    | target ASSIGN expr (WHERE cond=expr)?                            # statementItem
    ;

// NAME, NAME[] or NAME[i, j, ...], with an optional element type.
tensorDecl
    : name=ID (LBRACK names? RBRACK)? (COLON type=ID)?
    ;

// Index names, as in a declaration or a reduction list.
names
    : ID (COMMA ID)*
    ;

// A left-hand side; the frontend accepts plain indices, 'r + 1' and, in an init, 'r = 0'.
target
    : name=ID (LBRACK (targetIndex (COMMA targetIndex)*)? RBRACK)?
    ;

targetIndex
    : expr (ASSIGN value=expr)?
    ;

// ---------------------------------------------------------------- expressions
// One expression syntax for values, conditions and index positions; the frontend tells them apart.
// Alternatives are listed from the tightest binding to the loosest.

expr
    : LPAREN expr RPAREN                                       # parenExpr
    | name=ID LPAREN (expr (COMMA expr)*)? RPAREN              # callExpr
    | name=ID LBRACK (expr (COMMA expr)*)? RBRACK              # accessExpr
    | name=ID                                                  # nameExpr
    | NUMBER                                                   # numberExpr
    | INF                                                      # infExpr
    | op=(MINUS | NOT) expr                                    # unaryExpr
    | expr op=(STAR | SLASH | PERCENT) expr                    # mulExpr
    | expr op=(PLUS | MINUS) expr                              # addExpr
    | expr op=(LT | LE | GT | GE | EQ | NE) expr               # compareExpr
    | expr AND expr                                            # andExpr
    | expr OR expr                                             # orExpr
    | expr DCOLON op=ID LPAREN names? RPAREN                    # reduceExpr
    ;

// ---------------------------------------------------------------- tokens

CASCADE : 'cascade' ;
BATCH   : 'batch' ;
INPUT   : 'input' ;
OUTPUT  : 'output' ;
PARAM   : 'param' ;
SPLIT   : 'split' ;
BY      : 'by' ;
INIT    : 'init' ;
WHERE   : 'where' ;
INF     : 'inf' ;

LBRACE  : '{' ;
RBRACE  : '}' ;
LPAREN  : '(' ;
RPAREN  : ')' ;
LBRACK  : '[' ;
RBRACK  : ']' ;
COMMA   : ',' ;
SEMI    : ';' ;
DCOLON  : '::' ;
COLON   : ':' ;
EQ      : '==' ;
NE      : '!=' ;
LE      : '<=' ;
GE      : '>=' ;
LT      : '<' ;
GT      : '>' ;
ASSIGN  : '=' ;
AND     : '&&' ;
OR      : '||' ;
NOT     : '!' ;
PLUS    : '+' ;
MINUS   : '-' ;
STAR    : '*' ;
SLASH   : '/' ;
PERCENT : '%' ;

NUMBER  : DIGITS ('.' DIGITS)? ([eE] [+-]? DIGITS)? ;
ID      : [A-Za-z_] [A-Za-z0-9_]* ;

NL      : '\r'? '\n' | '\r' ;
WS      : [ \t\f]+ -> skip ;
COMMENT : '#' ~[\r\n]* -> skip ;

fragment DIGITS : [0-9]+ ;

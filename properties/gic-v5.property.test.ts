import { platformPropertySuite } from './suite';

platformPropertySuite('gic-v5');

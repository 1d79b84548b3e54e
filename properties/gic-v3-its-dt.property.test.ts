import { platformPropertySuite } from './suite';

platformPropertySuite('gic-v3-its-dt');
